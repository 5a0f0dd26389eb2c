// Entry of the web UI: mounts the app into index.html.
import { render } from 'preact';
import { App } from './app.tsx';

render(<App />, document.getElementById('app')!);
