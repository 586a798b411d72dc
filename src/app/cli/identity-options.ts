/**
 * The `--as` and `--kube-context` options, apart from src/app/cli/identity.ts so that defining the
 * commands (for `rewind --help`) loads no Kubernetes client: identity.ts is imported when a
 * command runs.
 */
import type { Command } from 'commander';

export const AS_HELP =
  'act as this person from rewind.yaml; only where rewind.yaml sets ' +
  'cli.allowClaimedIdentity (default: the person your kubeconfig is, by people.<handle>.kube)';
export const KUBE_CONTEXT_HELP =
  'the context of your kubeconfig ($KUBECONFIG or ~/.kube/config) ' +
  'that proves who you are (default: its current context)';

/** Adds `--as` and `--kube-context` to a command that acts as a person. */
export function identityOptions(cmd: Command): Command {
  return cmd.option('--as <handle>', AS_HELP).option('--kube-context <name>', KUBE_CONTEXT_HELP);
}
