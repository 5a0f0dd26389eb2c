// ForwardConfig: the deadlines and limits of requests forwarded to the node that hosts a workspace, with reasons.

/** Tunables of the mesh hop (ingress node → hosting node). Durations in milliseconds. */
export interface ForwardConfig {
  /**
   * A TCP connection to the hosting node that is not open by then counts as a failed forward. A request sent on
   * a reused connection (which proves nothing about the path now) that has no answer by then makes the host
   * prove it is alive, as below.
   */
  connectTimeoutMs: number;
  /**
   * Time from the request's last byte to the response head. When it passes, the host must prove it is still
   * there (`GET /health` within connectTimeoutMs): if it does, the app is just slow and the wait goes on (as a
   * local request would); if not, the forward fails with 503.
   */
  firstByteTimeoutMs: number;
  /** Consecutive failed forwards to one host that open its breaker (503 at once, no connection tried). */
  breakerFailures: number;
  /** How long an open breaker answers at once before it lets one trial forward through. */
  breakerCooldownMs: number;
  /** Each failed trial doubles the cool-down, up to this. */
  breakerMaxCooldownMs: number;
  /** Forwards to one host waiting for their response head; more are answered 503 at once. */
  maxInFlightPerHost: number;
}

/** Production defaults for nodes on a LAN or tailnet. */
export function defaultForwardConfig(): ForwardConfig {
  return {
    // Linux retransmits an unanswered SYN after 1 s: 2 s allows one lost SYN on a healthy path, while a peer
    // behind a partition holds a request for 2 s instead of the kernel's ~2 min of SYN retries.
    connectTimeoutMs: 2_000,
    // The hosting node sends the head as soon as the app does; 10 s lets a slow first compile of a dev server
    // through. Past it one /health round trip (≤ connectTimeoutMs) tells a slow app from a host that is gone.
    firstByteTimeoutMs: 10_000,
    // One lost SYN or a pooled connection the host just closed is noise; three failures in a row with no
    // success between them is a host this node cannot reach (Envoy's outlier detection uses 5 over 10 s).
    breakerFailures: 3,
    // A few seconds: short against the minutes a partition lasts, long enough that a dead path costs one
    // connect attempt per cool-down instead of one per request.
    breakerCooldownMs: 5_000,
    // A path that stays cut is tried about once a minute; membership announces a real recovery sooner
    // (a refuted suspicion resets nothing here, but a successful trial closes the breaker at once).
    breakerMaxCooldownMs: 60_000,
    // Bun's fetch runs at most 256 requests per process at once: 64 waiting on one host leave room for three
    // bad hosts before a healthy one waits. Far above normal: forwards answer in milliseconds, so even
    // 10,000 req/s to one host keep ~20 in flight.
    maxInFlightPerHost: 64,
  };
}

/** Short deadlines for tests on loopback, where a healthy host answers in milliseconds. */
export function localForwardConfig(): ForwardConfig {
  return {
    ...defaultForwardConfig(),
    connectTimeoutMs: 500,
    firstByteTimeoutMs: 1_000,
    breakerCooldownMs: 500,
    breakerMaxCooldownMs: 2_000,
  };
}
