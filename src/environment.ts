/**
 * The environment every generation starts from: hotinit's own, minus what
 * belongs to hotinit (the launcher's hand-over, socket-activation variables
 * addressed to hotinit), plus the application's NODE_OPTIONS, which the
 * launcher kept away from hotinit's own Node.
 */
const LAUNCH_NODE_OPTIONS = 'HOTINIT_LAUNCH_NODE_OPTIONS';
const ACTIVATION_VARIABLES = ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES'];

export function childBaseEnvironment(env: NodeJS.ProcessEnv): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value === undefined || key.startsWith('HOTINIT_LAUNCH_')) continue;
    result[key] = value;
  }
  const nodeOptions = env[LAUNCH_NODE_OPTIONS];
  if (nodeOptions !== undefined) result.NODE_OPTIONS = nodeOptions;
  // Activation variables addressed to hotinit are consumed (the sockets are
  // re-passed with our own); ones addressed to nobody alive are stale.
  for (const key of ACTIVATION_VARIABLES) delete result[key];
  return result;
}

export function toEnvList(env: Record<string, string>): string[] {
  return Object.entries(env).map(([key, value]) => `${key}=${value}`);
}
