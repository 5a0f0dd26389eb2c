// Preloaded by bun test (bunfig.toml): settings every test file shares.
import { setDefaultTimeout } from 'bun:test';

// Whole-system tests start real processes and wait on conditions with their own deadlines; 5 s (Bun's default)
// is too short for them on a loaded 2-core machine. Unit tests finish far sooner either way.
setDefaultTimeout(30_000);
