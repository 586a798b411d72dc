/** Registration only: which command name and which action id go to which callback. */
import type { App } from '@slack/bolt';
import { ACTION } from '../../../lib/slack-messages/run-message.js';
import { abandonAction } from './actions/abandon.js';
import { ABORT_DRILL_ACTION, abortDrillAction } from './actions/abort-drill.js';
import { approveAction } from './actions/approve.js';
import { cancelAction } from './actions/cancel.js';
import { rejectAction } from './actions/reject.js';
import { resolveAction } from './actions/resolve.js';
import { rollbackPromotionAction } from './actions/rollback-promotion.js';
import { ROLLBACK_PROMOTION_ACTION } from '../../../lib/slack-messages/promotion-message.js';
import { emergencyCommand } from './commands/emergency.js';
import { gamedayCommand } from './commands/gameday.js';
import { rollbackCommand } from './commands/rollback.js';
import { timelineCommand } from './commands/timeline.js';
import type { ListenerDeps } from './deps.js';

export function registerListeners(app: App, deps: ListenerDeps): void {
  app.command('/rollback', rollbackCommand(deps));
  app.command('/timeline', timelineCommand(deps));
  app.command('/emergency', emergencyCommand(deps));
  app.command('/gameday', gamedayCommand(deps));
  app.action({ type: 'block_actions', action_id: ACTION.approve }, approveAction(deps));
  app.action({ type: 'block_actions', action_id: ACTION.reject }, rejectAction(deps));
  app.action({ type: 'block_actions', action_id: ACTION.cancel }, cancelAction(deps));
  app.action({ type: 'block_actions', action_id: ACTION.resolve }, resolveAction(deps));
  app.action({ type: 'block_actions', action_id: ACTION.abandon }, abandonAction(deps));
  app.action({ type: 'block_actions', action_id: ABORT_DRILL_ACTION }, abortDrillAction(deps));
  app.action({ type: 'block_actions', action_id: ROLLBACK_PROMOTION_ACTION }, rollbackPromotionAction(deps));
}
