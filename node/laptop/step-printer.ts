// Numbered progress lines for `warren node join --laptop`: the person sees each step start and end.

/** The steps of joining a laptop, in order. */
export const LAPTOP_JOIN_STEPS = [
  'Check tailscale',
  'Create the node key',
  'Join the control plane',
  'Save the certificate',
  'Run at login',
] as const;

export interface StepHandle {
  /** The step succeeded; `detail` is shown after it (never a secret). */
  done(detail?: string): void;
  /** The step was skipped (e.g. the person declined the login service). */
  skip(why: string): void;
  /** The step failed; `hint` says what to do. */
  fail(message: string, hint?: string): void;
}

export interface StepPrinter {
  step(title: string): StepHandle;
}

/** Prints `[n/total] title … ok` lines through `write` (stdout in the CLI, an array in tests). */
export function createStepPrinter(write: (line: string) => void, total: number): StepPrinter {
  let n = 0;
  return {
    step(title) {
      n += 1;
      const prefix = `[${n}/${total}] ${title}`;
      let ended = false;
      const end = (line: string) => {
        if (ended) throw new Error(`step "${title}" already ended`);
        ended = true;
        write(line);
      };
      write(`${prefix} …`);
      return {
        done: (detail) => end(`${prefix}: ok${detail ? ` (${detail})` : ''}`),
        skip: (why) => end(`${prefix}: skipped (${why})`),
        fail: (message, hint) => end(`${prefix}: failed: ${message}${hint ? `\n    → ${hint}` : ''}`),
      };
    },
  };
}
