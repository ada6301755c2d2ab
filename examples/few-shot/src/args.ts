import { parseArgs } from 'node:util';
import { listMetaLearners } from '@automl-ts/meta-learning';

/** The algorithms of the CLI (the registry of @automl-ts/meta-learning). */
export type Algorithm = 'maml' | 'fomaml' | 'reptile' | 'anil' | 'metasgd' | 'protonet';

/** Everything a run needs, defaults filled in. */
export interface FewShotArgs {
  readonly algorithm: Algorithm;
  readonly ways: number;
  /** Classes per meta-training task (ProtoNets only; Snell et al. train Omniglot 60-way). */
  readonly trainWays: number;
  readonly shots: number;
  /** Support examples per class in meta-training tasks (Reptile's paper: 10 on Omniglot). */
  readonly trainShots: number;
  /** Query examples per class in meta-training tasks. */
  readonly trainQueries: number;
  /** Reptile's examples per inner step; undefined: the whole support set. */
  readonly innerBatch: number | undefined;
  readonly queries: number;
  readonly metaIterations: number;
  readonly metaBatch: number;
  readonly innerSteps: number;
  /** Inner steps of adaptation at evaluation time. */
  readonly evalSteps: number;
  readonly innerLr: number;
  /** Outer learning rate; undefined keeps the algorithm's (Adam 1e-3; Reptile's SGD step 1, annealed to 0). */
  readonly outerLr: number | undefined;
  /** Omniglot data directory (holding omniglot/images_background.zip); undefined uses the embedded dataset. */
  readonly dataDir: string | undefined;
  readonly seed: number;
  readonly checkpoint: string | undefined;
  readonly checkpointEvery: number;
  readonly resume: boolean;
  /** Tasks of the final evaluation. */
  readonly evalTasks: number;
  /** Evaluate on meta-validation tasks every this many meta-iterations (0: only at the end). */
  readonly evalEvery: number;
  /** Tasks of each periodic evaluation. */
  readonly evalEveryTasks: number;
  /** A folder of a user task (one sub-folder per class) to adapt to instead of training. */
  readonly adapt: string | undefined;
  /** Where `--adapt` writes the adapted TF.js model. */
  readonly output: string | undefined;
  /** Invert user images (dark strokes on white → strokes = 1, as Omniglot). */
  readonly invert: boolean;
  readonly backend: 'auto' | 'wasm' | 'cpu' | 'tensorflow';
  readonly maxMinutes: number;
  readonly channels: number;
  /** Omniglot rotations by 90°, 180°, 270° as extra classes. */
  readonly rotations: boolean;
  readonly resultsDir: string | undefined;
  /** Only regenerate the results README and plots from the JSON reports. */
  readonly rebuildReport: boolean;
  readonly logEvery: number;
}

/** Per-algorithm defaults: the papers' Omniglot settings, with meta-batches sized for a 2-hour CPU budget. */
const DEFAULTS: Record<
  Algorithm,
  { innerLr: number; innerSteps: number; evalSteps: number; metaBatch: number }
> = {
  maml: { innerLr: 0.4, innerSteps: 1, evalSteps: 3, metaBatch: 8 },
  fomaml: { innerLr: 0.4, innerSteps: 1, evalSteps: 3, metaBatch: 8 },
  anil: { innerLr: 0.4, innerSteps: 1, evalSteps: 3, metaBatch: 8 },
  metasgd: { innerLr: 0.1, innerSteps: 1, evalSteps: 1, metaBatch: 8 },
  reptile: { innerLr: 0.001, innerSteps: 5, evalSteps: 50, metaBatch: 5 },
  protonet: { innerLr: 0, innerSteps: 0, evalSteps: 0, metaBatch: 1 },
};

export const USAGE = `Few-shot learning with @automl-ts/meta-learning

  pnpm --filter @automl-ts/example-few-shot start -- [options]

Meta-trains on Omniglot (or, without --data-dir and AUTOML_DATA_DIR, on the embedded dataset of
@automl-ts/datasets), checkpoints atomically, resumes, evaluates on held-out classes (mean and 95%
CI) and writes a report (table + SVG plot) to results/. With --adapt it loads the checkpoint and
adapts to your own task instead.

Options
  --algorithm <name>        ${listMetaLearners().join(' | ')} (default maml)
  --ways <N>                classes per task (default 5)
  --train-ways <N>          classes per meta-training task, protonet only (default --ways; the paper: 60)
  --train-shots <K>         support examples per class in meta-training tasks (default --shots; reptile 10)
  --train-queries <Q>       query examples per class in meta-training tasks (default --queries; reptile 5)
  --inner-batch <n>         reptile: examples per inner step (default: reptile 10, as the paper)
  --shots <K>               support examples per class (default 1)
  --queries <Q>             query examples per class (default 15)
  --meta-iterations <n>     outer steps (default 1000)
  --meta-batch <n>          tasks per outer step (default: maml/fomaml/anil/metasgd 8, reptile 5, protonet 1)
  --inner-steps <n>         inner steps in meta-training (default: 1; reptile 5)
  --eval-steps <n>          inner steps when adapting at evaluation (default: maml/fomaml/anil 3, reptile 50, metasgd 1)
  --inner-lr <α>            inner learning rate (default: 0.4; metasgd 0.1 initial; reptile 0.001 with Adam)
  --outer-lr <β>            outer learning rate (default: Adam 1e-3; reptile SGD 1 annealed linearly to 0)
  --data-dir <dir>          data directory with omniglot/images_background.zip (default $AUTOML_DATA_DIR)
  --no-rotations            do not add Omniglot's 90°/180°/270° rotations as classes
  --channels <n>            conv4 filters (default 64)
  --seed <n>                seed of the task streams and of the weights (default 0)
  --checkpoint <dir>        checkpoint directory (default runs/<run name>)
  --checkpoint-every <n>    save every n meta-iterations (default 50)
  --resume                  continue from the checkpoint if there is one
  --eval-tasks <n>          tasks of the final evaluation (default 600)
  --eval-every <n>          evaluate every n meta-iterations, 0 for only at the end (default meta-iterations / 10)
  --eval-every-tasks <n>    tasks of each periodic evaluation (default 100)
  --max-minutes <m>         training budget in minutes, counting the time before a --resume (default 120)
  --backend <name>          auto | wasm | cpu | tensorflow (default auto)
  --results <dir>           report directory (default results/)
  --rebuild-report          only regenerate results/README.md and the plots from the JSON reports
  --log-every <n>           progress line every n meta-iterations (default 10)
  --adapt <dir>             adapt to the task in <dir> (one folder of images per class) and export it
  --output <dir>            where --adapt saves the adapted TF.js model (default <checkpoint>/adapted-<task>)
  --invert                  invert the --adapt images (dark strokes on a light background)
  --help                    this text
`;

function integer(name: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min)
    throw new Error(`--${name} must be an integer >= ${min}, got "${value}"`);
  return parsed;
}

function number(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0)
    throw new Error(`--${name} must be a number > 0, got "${value}"`);
  return parsed;
}

/** Parses the command line; returns undefined for --help. */
export function parseCommandLine(argv: readonly string[]): FewShotArgs | undefined {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      algorithm: { type: 'string' },
      ways: { type: 'string' },
      'train-ways': { type: 'string' },
      'train-shots': { type: 'string' },
      'train-queries': { type: 'string' },
      'inner-batch': { type: 'string' },
      shots: { type: 'string' },
      queries: { type: 'string' },
      'meta-iterations': { type: 'string' },
      'meta-batch': { type: 'string' },
      'inner-steps': { type: 'string' },
      'eval-steps': { type: 'string' },
      'inner-lr': { type: 'string' },
      'outer-lr': { type: 'string' },
      'data-dir': { type: 'string' },
      'no-rotations': { type: 'boolean' },
      channels: { type: 'string' },
      seed: { type: 'string' },
      checkpoint: { type: 'string' },
      'checkpoint-every': { type: 'string' },
      resume: { type: 'boolean' },
      'eval-tasks': { type: 'string' },
      'eval-every': { type: 'string' },
      'eval-every-tasks': { type: 'string' },
      'max-minutes': { type: 'string' },
      backend: { type: 'string' },
      results: { type: 'string' },
      'rebuild-report': { type: 'boolean' },
      'log-every': { type: 'string' },
      adapt: { type: 'string' },
      output: { type: 'string' },
      invert: { type: 'boolean' },
      help: { type: 'boolean' },
    },
  });
  if (values.help === true) return undefined;
  const algorithm = (values.algorithm ?? 'maml') as Algorithm;
  if (!(algorithm in DEFAULTS)) {
    throw new Error(`--algorithm must be one of ${Object.keys(DEFAULTS).join(', ')}, got "${algorithm}"`);
  }
  const defaults = DEFAULTS[algorithm];
  const backend = values.backend ?? 'auto';
  if (!['auto', 'wasm', 'cpu', 'tensorflow'].includes(backend)) {
    throw new Error(`--backend must be auto, wasm, cpu or tensorflow, got "${backend}"`);
  }
  const metaIterations = integer('meta-iterations', values['meta-iterations'], 1000, 0);
  const ways = integer('ways', values.ways, 5, 2);
  const trainWays = integer('train-ways', values['train-ways'], ways, 2);
  // A MAML-family head has one output per class: its tasks must all have the same N.
  if (trainWays !== ways && algorithm !== 'protonet') {
    throw new Error(
      `--train-ways ${trainWays} differs from --ways ${ways}: only protonet (no classifier head) can train on other task sizes`,
    );
  }
  const shots = integer('shots', values.shots, 1, 1);
  const queries = integer('queries', values.queries, 15, 1);
  const reptile = algorithm === 'reptile';
  if (!reptile && values['inner-batch'] !== undefined) {
    throw new Error(`--inner-batch is a reptile option; --algorithm is ${algorithm}`);
  }
  return {
    algorithm,
    ways,
    trainWays,
    // Reptile's paper meta-trains Omniglot on 10 shots per class in batches of 10, whatever the test K.
    trainShots: integer('train-shots', values['train-shots'], reptile ? 10 : shots, 1),
    trainQueries: integer('train-queries', values['train-queries'], reptile ? 5 : queries, 1),
    innerBatch: reptile ? integer('inner-batch', values['inner-batch'], 10, 1) : undefined,
    shots,
    queries,
    metaIterations,
    metaBatch: integer('meta-batch', values['meta-batch'], defaults.metaBatch, 1),
    innerSteps:
      algorithm === 'protonet' ? 0 : integer('inner-steps', values['inner-steps'], defaults.innerSteps, 1),
    evalSteps: integer('eval-steps', values['eval-steps'], defaults.evalSteps, 0),
    innerLr: algorithm === 'protonet' ? 0 : number('inner-lr', values['inner-lr'], defaults.innerLr),
    outerLr: values['outer-lr'] === undefined ? undefined : number('outer-lr', values['outer-lr'], 1),
    dataDir: values['data-dir'] ?? process.env.AUTOML_DATA_DIR,
    seed: integer('seed', values.seed, 0, 0),
    checkpoint: values.checkpoint,
    checkpointEvery: integer('checkpoint-every', values['checkpoint-every'], 50, 1),
    resume: values.resume === true,
    evalTasks: integer('eval-tasks', values['eval-tasks'], 600, 1),
    evalEvery: integer('eval-every', values['eval-every'], Math.max(1, Math.floor(metaIterations / 10)), 0),
    evalEveryTasks: integer('eval-every-tasks', values['eval-every-tasks'], 100, 1),
    adapt: values.adapt,
    output: values.output,
    invert: values.invert === true,
    backend: backend as FewShotArgs['backend'],
    maxMinutes: number('max-minutes', values['max-minutes'], 120),
    channels: integer('channels', values.channels, 64, 1),
    rotations: values['no-rotations'] !== true,
    resultsDir: values.results,
    rebuildReport: values['rebuild-report'] === true,
    logEvery: integer('log-every', values['log-every'], 10, 1),
  };
}
