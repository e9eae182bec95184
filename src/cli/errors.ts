/**
 * The CLI's exit codes (documented in the README's CLI section), and the
 * error a command throws when it was called wrong.
 */
export const EXIT = {
  /** Done. */
  ok: 0,
  /** The server answered an error (its problem's detail is on stderr), or the CLI failed. */
  failed: 1,
  /** The command line is wrong (unknown command or flag, missing argument, an argument that is not JSON). */
  usage: 2,
  /** Nothing answered at HEIRLOOM_URL. */
  unreachable: 3,
} as const

export class UsageError extends Error {}
