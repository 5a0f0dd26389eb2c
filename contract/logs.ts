// Workspace output as the node keeps it: lines of the app's and the agent's stdout and stderr (`/w/{id}/_logs`).
import * as v from 'valibot';

/** Which process of the workspace wrote a line. */
export const LOG_SOURCES = ['app', 'agent'] as const;
export const LogSource = v.picklist(LOG_SOURCES);
export type LogSource = v.InferOutput<typeof LogSource>;

export const LOG_STREAMS = ['stdout', 'stderr'] as const;
export const LogStream = v.picklist(LOG_STREAMS);
export type LogStream = v.InferOutput<typeof LogStream>;

/** Longest line kept; a longer one is cut into pieces of this size (a line of minified JS stays readable). */
export const LOG_LINE_MAX = 4096;

/** Most lines one `GET /w/{id}/_logs?tail=N` returns. */
export const LOG_TAIL_MAX = 5000;

/** One line of output, tagged with who wrote it and when the node read it. */
export const LogLine = v.object({
  /** ISO 8601, when the node read the line. */
  at: v.string(),
  source: LogSource,
  stream: LogStream,
  text: v.pipe(v.string(), v.maxLength(LOG_LINE_MAX)),
});
export type LogLine = v.InferOutput<typeof LogLine>;

/** The answer of `GET /w/{id}/_logs?tail=N`: the last lines, oldest first. */
export const LogTail = v.object({ lines: v.array(LogLine) });
export type LogTail = v.InferOutput<typeof LogTail>;
