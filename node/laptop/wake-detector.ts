// Notices that the laptop slept: the wall clock runs on through suspend, the monotonic clock does not. On
// wake the node heartbeats at once and re-registers its workspaces instead of waiting for its next tick.

export interface WakeDetectorConfig {
  /** How often to compare the clocks. Default 5 s: cheap, and wake is noticed within seconds. */
  intervalMs: number;
  /** A wall-clock gap this much larger than the monotonic one is a sleep. Default 15 s: above NTP slews and GC pauses. */
  minSleepMs: number;
}

export function defaultWakeDetectorConfig(): WakeDetectorConfig {
  return { intervalMs: 5_000, minSleepMs: 15_000 };
}

/** The two clocks; `monotonic` must stop while the machine is suspended (performance.now on Linux and macOS). */
export interface WakeClocks {
  wall(): number;
  monotonic(): number;
}

export const systemWakeClocks: WakeClocks = { wall: () => Date.now(), monotonic: () => performance.now() };

export interface WakeDetector {
  /** Compares the clocks since the last check; calls onWake when the machine slept in between. */
  check(): void;
}

/** Pure detector: call `check()` on a timer (startWakeDetector) or by hand in tests. */
export function createWakeDetector(
  clocks: WakeClocks,
  onWake: (sleptMs: number) => void,
  config: WakeDetectorConfig = defaultWakeDetectorConfig(),
): WakeDetector {
  let lastWall = clocks.wall();
  let lastMono = clocks.monotonic();
  return {
    check() {
      const wall = clocks.wall();
      const mono = clocks.monotonic();
      // A busy event loop delays both clocks alike; only suspend makes the wall clock run ahead.
      const slept = wall - lastWall - (mono - lastMono);
      lastWall = wall;
      lastMono = mono;
      if (slept >= config.minSleepMs) onWake(slept);
    },
  };
}

/** Runs a detector on the real clocks until `stop()`. */
export function startWakeDetector(
  onWake: (sleptMs: number) => void,
  config: WakeDetectorConfig = defaultWakeDetectorConfig(),
): { stop(): void } {
  const detector = createWakeDetector(systemWakeClocks, onWake, config);
  const timer = setInterval(() => detector.check(), config.intervalMs);
  timer.unref?.();
  return { stop: () => clearInterval(timer) };
}
