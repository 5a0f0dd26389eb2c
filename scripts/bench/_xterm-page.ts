// The browser side of `bench terminal`'s render figure: xterm.js on a page, as the UI's terminal tab uses it.
import { Terminal } from '@xterm/xterm';

declare global {
  interface Window {
    /** Writes the bytes (base64) into a fresh terminal the UI's size; resolves with ms until parsed and painted. */
    renderReplay(base64: string): Promise<number>;
  }
}

window.renderReplay = (base64) => {
  const host = document.createElement('div');
  host.style.cssText = 'width:1000px;height:600px';
  document.body.replaceChildren(host);
  const term = new Terminal({ cols: 120, rows: 36, scrollback: 10_000 });
  term.open(host);
  const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const t0 = performance.now();
  return new Promise((resolve) => {
    // Parsed (the write callback), then painted (two animation frames later the renderer has drawn).
    term.write(data, () =>
      requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0))),
    );
  });
};
