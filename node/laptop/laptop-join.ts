// `warren node join --laptop`: the node started step by step with printed progress, the run-at-login service
// written only when asked, and wake detection so a laptop back from sleep re-registers at once.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataDirLockedError } from '../../disk/index.ts';
import type { NodeConfig } from '../config.ts';
import { NODE_LOG_FILE } from '../data-dir.ts';
import { loadOrCreateIdentity } from '../identity.ts';
import { type RunningNode, type StartNodeOptions, startNode } from '../main.ts';
import { createLocalApiClient } from '../tailscale/index.ts';
import { planLoginService, writeLoginService } from './login-service.ts';
import { createStepPrinter, LAPTOP_JOIN_STEPS } from './step-printer.ts';
import {
  createWakeDetector,
  defaultWakeDetectorConfig,
  systemWakeClocks,
  type WakeClocks,
  type WakeDetectorConfig,
} from './wake-detector.ts';

export interface LaptopJoinOptions {
  /** Where progress lines go (stdout in the CLI). */
  write(line: string): void;
  /** `--install-service`: write the login service file. Without it the file and commands are only printed. */
  installService: boolean;
  /** `process.platform`: `darwin` gets a launchd agent, anything else a systemd user unit. */
  platform: string;
  home: string;
  /** The command that runs this node again at login (e.g. bun + cli/main.ts); settings go by environment. */
  program: string;
  args: string[];
  wake?: WakeDetectorConfig;
  /** Tests: clocks whose wall time can jump as after a suspend. */
  clocks?: WakeClocks;
  node?: StartNodeOptions;
}

/** A laptop node: the running node plus its wake detector. */
export interface LaptopNode {
  node: RunningNode;
  stop(): Promise<void>;
}

/** Thrown after a step printed its failure; the CLI exits without printing it again. */
export class LaptopJoinError extends Error {
  override name = 'LaptopJoinError';
}

/** Runs the laptop join steps; resolves once the node runs. Nothing is installed unless `installService`. */
export async function joinLaptop(config: NodeConfig, options: LaptopJoinOptions): Promise<LaptopNode> {
  const steps = createStepPrinter(options.write, LAPTOP_JOIN_STEPS.length);
  const [tailscaleStep, keyStep, joinStep, certStep, loginStep] = LAPTOP_JOIN_STEPS;

  const ts = steps.step(tailscaleStep);
  if (config.network === 'tailscale') {
    try {
      const self = await createLocalApiClient({ socketPath: config.tailscaleSocket }).status();
      ts.done(`${self.dnsName || self.hostName} ${self.ips[0] ?? ''}`.trim());
    } catch (e) {
      ts.fail((e as Error).message, 'install Tailscale and run `tailscale up`, or pass --network direct');
      throw new LaptopJoinError((e as Error).message);
    }
  } else {
    ts.skip('--network direct: no tailnet');
  }

  const key = steps.step(keyStep);
  const hadKey = existsSync(join(config.dataDir, 'identity.json'));
  await loadOrCreateIdentity(config.dataDir);
  key.done(hadKey ? `kept the key in ${config.dataDir}` : `new Ed25519 key in ${config.dataDir}`);

  const joining = steps.step(joinStep);
  let node: RunningNode;
  try {
    node = await startNode(config, options.node);
  } catch (e) {
    joining.fail(
      (e as Error).message,
      e instanceof DataDirLockedError
        ? 'this laptop already runs a node on that data dir (its login service?)'
        : 'check --control and the join token (tokens are one use)',
    );
    throw new LaptopJoinError((e as Error).message);
  }
  joining.done(`node ${node.nodeId}, serving on ${node.url}`);

  const cert = steps.step(certStep);
  cert.done(`in ${join(config.dataDir, 'node.json')}; the join token is not needed again`);

  const login = steps.step(loginStep);
  const plan = planLoginService(options.platform, options.home, {
    program: options.program,
    args: options.args,
    dataDir: resolve(config.dataDir),
    controlUrl: config.controlUrl,
    logFile: join(resolve(config.dataDir), NODE_LOG_FILE),
  });
  if (options.installService) {
    const outcome = writeLoginService(plan);
    if (outcome === 'exists') login.skip(`${plan.path} exists with other content; left as it is`);
    else login.done(`${outcome} ${plan.path}`);
    options.write(`    enable it with:\n${plan.enable.map((c) => `      ${c}`).join('\n')}`);
  } else {
    login.skip('nothing installed; pass --install-service to write it');
    options.write(`    ${plan.kind === 'launchd' ? 'launchd agent' : 'systemd user unit'} for ${plan.path}:`);
    options.write(plan.content.replace(/^/gm, '      ').trimEnd());
    options.write(`    then:\n${plan.enable.map((c) => `      ${c}`).join('\n')}`);
  }

  // Back from sleep: heartbeat now, so the control plane sees the node and its workspaces again at once.
  const wakeConfig = options.wake ?? defaultWakeDetectorConfig();
  const detector = createWakeDetector(
    options.clocks ?? systemWakeClocks,
    (slept) => {
      options.node?.log?.(`woke after ${Math.round(slept / 1000)} s asleep; heartbeating now`);
      void node.heartbeatNow();
    },
    wakeConfig,
  );
  const timer = setInterval(() => detector.check(), wakeConfig.intervalMs);
  timer.unref();
  return {
    node,
    async stop() {
      clearInterval(timer);
      await node.stop();
    },
  };
}
