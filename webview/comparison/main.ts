/** Entry of the comparison webview bundle (dist/webview/comparison.js). */
import type { PersistedComparison } from '../../src/protocol/messages';
import { connectHost } from '../shared/client';
import { reportPageProblems } from '../shared/diagnostics';
import { vscodeApi } from '../shared/vscodeApi';
import { registerToolkit } from '../toolkit';
import { ComparisonApp } from './app';

const api = vscodeApi<PersistedComparison>();
const client = connectHost((m) => api.postMessage(m));
reportPageProblems(client);
registerToolkit();

const root = document.getElementById('root') ?? document.body.appendChild(document.createElement('div'));
const app = new ComparisonApp(root, client, api);
client.onPush((m) => app.handle(m));
client.ready();
