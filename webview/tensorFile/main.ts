/** Entry of the tensor-file editor bundle (dist/webview/tensorFile.js). */
import type { TensorFileProtocol } from '../../src/protocol/messages';
import { connectHost } from '../common/client';
import { reportPageProblems } from '../common/diagnostics';
import { vscodeApi } from '../common/vscodeApi';
import { registerToolkit } from '../toolkit';
import { TensorFileApp } from './app';

const api = vscodeApi();
const client = connectHost<TensorFileProtocol>((m) => api.postMessage(m));
reportPageProblems(client);
registerToolkit();

const root = document.getElementById('root') ?? document.body.appendChild(document.createElement('div'));
const app = new TensorFileApp(root, client);
client.onPush((m) => app.handle(m));
client.ready();
