// disk/: what node and control keep on their own machine's disk — the file modes of a data dir and its lock.
export {
  type DataDirLock,
  DataDirLockedError,
  dataDirHolder,
  LOCK_FILE,
  type LockHolder,
  lockDataDir,
  type ProcessFacts,
} from './data-dir-lock.ts';
export {
  createDatabaseFile,
  type DataDirLayout,
  DIR_MODE,
  databaseFiles,
  FILE_MODE,
  formatMode,
  type ModeFix,
  secureDataDir,
} from './file-modes.ts';
