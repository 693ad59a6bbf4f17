/** Entry of the comparison webview bundle (dist/webview/comparison.js). */
import type { ComparisonProtocol, PersistedComparison } from '../../src/protocol/messages';
import { connectHost } from '../common/client';
import { reportPageProblems } from '../common/diagnostics';
import { vscodeApi } from '../common/vscodeApi';
import { registerToolkit } from '../toolkit';
import { ComparisonApp } from './app';

const api = vscodeApi<PersistedComparison>();
const client = connectHost<ComparisonProtocol>((m) => api.postMessage(m));
reportPageProblems(client);
registerToolkit();

const root = document.getElementById('root') ?? document.body.appendChild(document.createElement('div'));
const app = new ComparisonApp(root, client, api);
client.onPush((m) => app.handle(m));
client.ready();
