import { defineCommand, resolveUserPath } from '@automl-ts/report';

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
  /** Omniglot data directory (holding omniglot/images_background.zip), absolute; undefined uses the embedded dataset. */
  readonly dataDir: string | undefined;
  /**
   * The final evaluation's classes: Omniglot's official evaluation set (images_evaluation.zip, 20
   * alphabets never used in training) or a held-out third of the background alphabets.
   */
  readonly metaTest: 'evaluation' | 'background' | 'auto';
  /** What the training budget counts: process CPU time (the default) or wall-clock time. */
  readonly budgetClock: 'cpu' | 'wall';
  /** Write into the committed results/ (otherwise runs/results/). */
  readonly commitResults: boolean;
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
  /** `--results`, absolute; undefined: the location policy decides (see resolveResultsDirectory). */
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

const ALGORITHMS = [
  'maml',
  'fomaml',
  'anil',
  'metasgd',
  'reptile',
  'protonet',
] as const satisfies readonly Algorithm[];

/** The command line of the few-shot example (typed options, generated `--help`). */
export const command = defineCommand({
  name: '@automl-ts/example-few-shot',
  usage: 'pnpm --filter @automl-ts/example-few-shot start -- [options]',
  description: `Few-shot learning with @automl-ts/meta-learning

Meta-trains on Omniglot (or, without --data-dir and AUTOML_DATA_DIR, on the embedded dataset of
@automl-ts/datasets), checkpoints atomically, resumes, selects on meta-validation classes and reports
the final accuracy (mean and 95% CI) on meta-test classes; writes a results JSON with provenance, SVG
plots and a README table to runs/results/ (results/ with --commit-results). With --adapt it loads
the checkpoint and adapts to your own task instead. Relative paths are relative to the directory
you typed the command in.`,
  options: {
    algorithm: {
      type: 'choice',
      choices: ALGORITHMS,
      default: 'maml',
      description: "meta-learner (@automl-ts/meta-learning's registry)",
    },
    ways: { type: 'integer', min: 2, default: 5, description: 'classes per task' },
    'train-ways': {
      type: 'integer',
      min: 2,
      description: 'classes per meta-training task, protonet only (the paper: 60)',
      defaultText: '--ways',
    },
    'train-shots': {
      type: 'integer',
      min: 1,
      description: 'support examples per class in meta-training tasks',
      defaultText: '--shots; reptile 10',
    },
    'train-queries': {
      type: 'integer',
      min: 1,
      description: 'query examples per class in meta-training tasks',
      defaultText: '--queries; reptile 5',
    },
    'inner-batch': {
      type: 'integer',
      min: 1,
      description: 'reptile: examples per inner step',
      defaultText: 'reptile 10, as the paper',
    },
    shots: { type: 'integer', min: 1, default: 1, description: 'support examples per class' },
    queries: { type: 'integer', min: 1, default: 15, description: 'query examples per class' },
    'meta-iterations': { type: 'integer', min: 0, default: 1000, description: 'outer steps' },
    'meta-batch': {
      type: 'integer',
      min: 1,
      description: 'tasks per outer step',
      defaultText: 'maml/fomaml/anil/metasgd 8, reptile 5, protonet 1',
    },
    'inner-steps': {
      type: 'integer',
      min: 1,
      description: 'inner steps in meta-training',
      defaultText: '1; reptile 5',
    },
    'eval-steps': {
      type: 'integer',
      min: 0,
      description: 'inner steps when adapting at evaluation',
      defaultText: 'maml/fomaml/anil 3, reptile 50, metasgd 1',
    },
    'inner-lr': {
      type: 'number',
      greaterThan: 0,
      description: 'inner learning rate',
      defaultText: '0.4; metasgd 0.1 initial; reptile 0.001 with Adam',
    },
    'outer-lr': {
      type: 'number',
      greaterThan: 0,
      description: 'outer learning rate',
      defaultText: 'Adam 1e-3; reptile SGD 1 annealed linearly to 0',
    },
    'data-dir': {
      type: 'path',
      description: 'data directory with omniglot/images_background.zip',
      defaultText: '$AUTOML_DATA_DIR',
    },
    'meta-test': {
      type: 'choice',
      choices: ['auto', 'evaluation', 'background'],
      default: 'auto',
      description:
        'meta-test classes: images_evaluation.zip, or a third of the background alphabets; auto: evaluation when the data directory has it',
    },
    'no-rotations': {
      type: 'boolean',
      description: "do not add Omniglot's 90°/180°/270° rotations as classes",
    },
    channels: { type: 'integer', min: 1, default: 64, description: 'conv4 filters' },
    seed: {
      type: 'integer',
      min: 0,
      default: 0,
      description: 'seed of the weights and the task streams (the class split is fixed)',
    },
    checkpoint: {
      type: 'path',
      description: 'checkpoint directory',
      defaultText: 'examples/few-shot/runs/<run name>',
    },
    'checkpoint-every': { type: 'integer', min: 1, default: 50, description: 'save every n meta-iterations' },
    resume: { type: 'boolean', description: 'continue from the checkpoint if there is one' },
    'eval-tasks': {
      type: 'integer',
      min: 1,
      default: 600,
      description: 'tasks of the final (meta-test) evaluation',
    },
    'eval-every': {
      type: 'integer',
      min: 0,
      description: 'evaluate on meta-val every n meta-iterations, 0 for never',
      defaultText: 'meta-iterations / 10',
    },
    'eval-every-tasks': {
      type: 'integer',
      min: 1,
      default: 100,
      description: 'tasks of each periodic meta-val evaluation',
    },
    'max-minutes': {
      type: 'number',
      greaterThan: 0,
      default: 120,
      description: 'training budget in minutes (evaluations excluded), counting the time before a --resume',
    },
    'budget-clock': {
      type: 'choice',
      choices: ['cpu', 'wall'],
      default: 'cpu',
      description: 'what --max-minutes counts: process CPU time (same work on a loaded machine) or wall time',
    },
    backend: {
      type: 'choice',
      choices: ['auto', 'wasm', 'cpu', 'tensorflow'],
      default: 'auto',
      description: 'TF.js backend',
    },
    results: { type: 'path', description: 'report directory', defaultText: 'examples/few-shot/runs/results' },
    'commit-results': {
      type: 'boolean',
      description: 'write the report into the committed examples/few-shot/results/',
    },
    'rebuild-report': {
      type: 'boolean',
      description: 'only regenerate the README table and the plots from the JSON results',
    },
    'log-every': {
      type: 'integer',
      min: 1,
      default: 10,
      description: 'progress line every n meta-iterations',
    },
    adapt: {
      type: 'path',
      description: 'adapt to the task in <dir> (one folder of images per class) and export it',
    },
    output: {
      type: 'path',
      description: 'where --adapt saves the adapted TF.js model',
      defaultText: '<checkpoint>/adapted-<task>',
    },
    invert: {
      type: 'boolean',
      description: 'invert the --adapt images (dark strokes on a light background)',
    },
  },
});

/** The `--help` text. */
export const usage = (): string => command.help();

const fail = (message: string) => new Error(`@automl-ts/example-few-shot: ${message}`);

/** Parses the command line; returns undefined for --help. */
export function parseCommandLine(argv: readonly string[]): FewShotArgs | undefined {
  const values = command.parse(argv);
  if (values === undefined) return undefined;
  const algorithm = values.algorithm;
  const defaults = DEFAULTS[algorithm];
  const metaIterations = values['meta-iterations'];
  const ways = values.ways;
  const trainWays = values['train-ways'] ?? ways;
  // A MAML-family head has one output per class: its tasks must all have the same N.
  if (trainWays !== ways && algorithm !== 'protonet') {
    throw fail(
      `--train-ways ${trainWays} differs from --ways ${ways}: only protonet (no classifier head) can train on other task sizes`,
    );
  }
  const shots = values.shots;
  const queries = values.queries;
  const reptile = algorithm === 'reptile';
  if (!reptile && values['inner-batch'] !== undefined) {
    throw fail(`--inner-batch is a reptile option; --algorithm is ${algorithm}`);
  }
  const envDataDir = process.env.AUTOML_DATA_DIR;
  return {
    algorithm,
    ways,
    trainWays,
    // Reptile's paper meta-trains Omniglot on 10 shots per class in batches of 10, whatever the test K.
    trainShots: values['train-shots'] ?? (reptile ? 10 : shots),
    trainQueries: values['train-queries'] ?? (reptile ? 5 : queries),
    innerBatch: reptile ? (values['inner-batch'] ?? 10) : undefined,
    shots,
    queries,
    metaIterations,
    metaBatch: values['meta-batch'] ?? defaults.metaBatch,
    innerSteps: algorithm === 'protonet' ? 0 : (values['inner-steps'] ?? defaults.innerSteps),
    evalSteps: values['eval-steps'] ?? defaults.evalSteps,
    innerLr: algorithm === 'protonet' ? 0 : (values['inner-lr'] ?? defaults.innerLr),
    outerLr: values['outer-lr'],
    dataDir:
      values['data-dir'] ??
      (envDataDir === undefined || envDataDir === '' ? undefined : resolveUserPath(envDataDir)),
    metaTest: values['meta-test'],
    budgetClock: values['budget-clock'],
    commitResults: values['commit-results'],
    seed: values.seed,
    checkpoint: values.checkpoint,
    checkpointEvery: values['checkpoint-every'],
    resume: values.resume,
    evalTasks: values['eval-tasks'],
    evalEvery: values['eval-every'] ?? Math.max(1, Math.floor(metaIterations / 10)),
    evalEveryTasks: values['eval-every-tasks'],
    adapt: values.adapt,
    output: values.output,
    invert: values.invert,
    backend: values.backend,
    maxMinutes: values['max-minutes'],
    channels: values.channels,
    rotations: !values['no-rotations'],
    resultsDir: values.results,
    rebuildReport: values['rebuild-report'],
    logEvery: values['log-every'],
  };
}
