/** Entry of the folder view bundle (dist/webview/dataset.js). */
import { RequestChannel } from '../../src/protocol/channel';
import { isDatasetPush, type DatasetPageMessage, type DatasetRequestMap } from '../../src/protocol/dataset';
import { vscodeApi } from '../common/vscodeApi';
import { registerToolkit } from '../toolkit';
import { DatasetApp } from './app';

const api = vscodeApi();
const post = (m: DatasetPageMessage) => api.postMessage(m);
// Page problems (a CSP violation, an uncaught error) go to the extension's output channel.
window.addEventListener('error', (e) => post({ type: 'log', level: 'error', message: `folder view: ${e.message}` }));
window.addEventListener('unhandledrejection', (e) => post({ type: 'log', level: 'error', message: `folder view: ${String(e.reason)}` }));
document.addEventListener('securitypolicyviolation', (e) => post({ type: 'log', level: 'error', message: `folder view: CSP blocked ${e.violatedDirective} ${e.blockedURI}` }));
registerToolkit();

const channel = new RequestChannel<DatasetRequestMap>({ send: (m) => api.postMessage(m), toError: (e) => new Error(e) });
const root = document.getElementById('root') ?? document.body.appendChild(document.createElement('div'));
const app = new DatasetApp(root, channel);
window.addEventListener('message', (e: MessageEvent) => {
  if (channel.receive(e.data)) return;
  if (isDatasetPush(e.data)) app.handle(e.data);
});
post({ type: 'ready', view: 'dataset' });
