import { errorFactory } from './internal/errors.js';
import type { AdaptedModel, AdaptOptions, MetaLearner } from './learner.js';
import type { TaskSet } from './tasks/task.js';

/**
 * Adapts a meta-learner to one task from its support set: the inner loop's gradient steps on fast
 * weights (MAML, ANIL, Meta-SGD, Reptile) or the class prototypes (ProtoNet). The meta-parameters
 * are untouched. The result predicts on the query set, or becomes a standalone module for export.
 *
 * @example
 * const adapted = adapt(maml, episode.support, { steps: 3 });
 * const logits = adapted.predict(episode.query.x);
 * const model = toLayersModel(await adapted.toModule(), { inputShape: [28, 28, 1] }); // core io
 * await model.save('file://my-task-model');
 * adapted.dispose();
 */
export function adapt(learner: MetaLearner, support: TaskSet, options: AdaptOptions = {}): AdaptedModel {
  if (learner === null || typeof learner !== 'object' || typeof learner.adapt !== 'function') {
    throw errorFactory('adapt')('learner must be a meta-learner (MAML, Reptile, ANIL, MetaSGD, ProtoNet)');
  }
  return learner.adapt(support, options);
}
