// The node agent's version, reported in /health, /_node/info and the join request.
import pkg from '../package.json' with { type: 'json' };

/** Warren's package version. */
export const NODE_VERSION: string = pkg.version;
