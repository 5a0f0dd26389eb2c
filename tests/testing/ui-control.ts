// A real control plane, a headless Chromium and a push recorder standing in for nodes: the setup of the UI tests
// that drive the control plane's pages without real nodes.
import {
  type PushRecorder,
  startPushRecorder,
  startTestControl,
  type TestControl,
} from '../../control/testing/index.ts';
import { launchUiBrowser, type UiBrowser } from './ui-browser.ts';

export interface UiControl {
  control: TestControl;
  ui: UiBrowser;
  /** Stands in for a node's push endpoint; the control plane pushes assignments there. */
  pushes: PushRecorder;
  /** The first admin, whose sign-in link the tests open. */
  adminId: string;
  stop(): Promise<void>;
}

export async function startUiControl(): Promise<UiControl> {
  const [control, ui] = await Promise.all([startTestControl(), launchUiBrowser()]);
  const pushes = startPushRecorder();
  const adminId = (await control.client.GET('/api/v1/auth/me')).data!.id;
  return {
    control,
    ui,
    pushes,
    adminId,
    async stop() {
      await ui.close();
      await pushes.stop();
      await control.stop();
    },
  };
}
