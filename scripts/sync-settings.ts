// Writes the loss options' `lossInspector.*` settings into package.json from the option schema
// (src/engine/optionSchema.ts), in schema order, followed by the extension's own settings (kept as they are,
// renumbered after the options). test/unit/extension-manifest.test.ts fails until this has been run.
//   node --import tsx scripts/sync-settings.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPTION_SCHEMA, settingContribution, type AnyOptionSpec } from '../src/engine/optionSchema';

const file = join(new URL('..', import.meta.url).pathname, 'package.json');
const pkg = JSON.parse(readFileSync(file, 'utf8'));
const old: Record<string, Record<string, unknown>> = pkg.contributes.configuration.properties;
const props: Record<string, unknown> = {};
const specs = OPTION_SCHEMA as readonly AnyOptionSpec[];
specs.forEach((s, i) => {
  props[`lossInspector.${s.key}`] = { ...settingContribution(s), order: i + 1 };
});
const optionNames = new Set(Object.keys(props));
let order = specs.length + 1;
for (const [name, p] of Object.entries(old)) {
  if (optionNames.has(name)) continue;
  props[name] = { ...p, order: order++ };
}
pkg.contributes.configuration.properties = props;
writeFileSync(file, JSON.stringify(pkg, null, 2) + '\n');
console.log(`package.json: ${specs.length} option settings, ${order - specs.length - 1} extension settings`);
