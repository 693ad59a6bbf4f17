/**
 * Settings → effective configuration, the pure half of settings.ts (no `vscode`: it takes a getter, so the unit
 * tests feed it plain objects). Every golden option has a setting `lossInspector.<key>`; the engine's
 * `resolveOptions` validates them. A bad setting never blocks the user: it is reported as a problem naming the
 * setting (`lossInspector.labelSmoothing: …`) and that one setting falls back to its default.
 */
import { LossInputError } from '../engine/errors';
import { resolveOptions } from '../engine/options';
import { inPythonNames } from '../engine/optionSchema';
import { DEFAULT_OPTIONS, OPTION_KEYS, type LossOptions } from '../engine/types';

export const SETTINGS_SECTION = 'lossInspector';

/** The settings beyond the loss options, with their defaults (mirrored in package.json `contributes.configuration`). */
export const EXTRA_SETTING_DEFAULTS = {
  classNames: null as string[] | null,
  maxTensorMB: 4096,
  'codeLens.enabled': true,
  'diagnostics.enabled': true,
  defaultNumClasses: null as number | null,
  'debugger.maxTensorMB': 1024,
  'debugger.debugTypes': [] as string[],
} as const;

export interface ExtensionSettings {
  /** The loss options the settings configure (defaults where a setting is bad). */
  options: LossOptions;
  /** Class names 0…C−1 from `lossInspector.classNames`, or null when not set. */
  classNames: string[] | null;
  /** Largest tensor the readers may hand out, in MiB (`ReadLimits.maxTensorBytes`). */
  maxTensorMB: number;
  codeLensEnabled: boolean;
  diagnosticsEnabled: boolean;
  /**
   * C the Python lenses use for a call when its file does not state C and no comparison was opened from
   * it; null (the default) when not set — the lens then shows "C ?" and the formulas of C.
   */
  defaultNumClasses: number | null;
  /** Largest tensor read from a paused debugger, in MiB (checked in the debuggee before anything is written). */
  debuggerMaxTensorMB: number;
  /** Debug types besides `debugpy` and `python` whose sessions may be read as Python. */
  debuggerDebugTypes: string[];
}

/** One bad setting: its full name and a one-line explanation. */
export interface SettingProblem {
  setting: string;
  message: string;
}

export interface ResolvedSettings {
  settings: ExtensionSettings;
  problems: SettingProblem[];
}

/** Reads one setting (relative to `lossInspector.`); undefined when neither set nor contributed. */
export type SettingGetter = (key: string) => unknown;

const settingName = (key: string) => `${SETTINGS_SECTION}.${key}`;

/** The engine's message with options by their Python names (the setting itself is named beside it). */
function errorMessage(e: unknown): string {
  return inPythonNames(e instanceof Error ? e.message : String(e));
}

/**
 * The loss options configured by the settings. Each setting is validated on its own first, so a problem names
 * exactly the setting at fault; a conflict between settings (e.g. sigmoid and softmax both true) is blamed on
 * the option the engine names, which then falls back to its default.
 */
export function optionsFromSettings(get: SettingGetter): { options: LossOptions; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  const partial: Record<string, unknown> = {};
  for (const key of OPTION_KEYS) {
    const v = get(key);
    if (v === undefined) continue;
    try {
      resolveOptions({ [key]: v });
      partial[key] = v;
    } catch (e) {
      problems.push({ setting: settingName(key), message: errorMessage(e) });
    }
  }
  for (let attempt = 0; attempt <= OPTION_KEYS.length; attempt++) {
    try {
      return { options: resolveOptions(partial), problems };
    } catch (e) {
      const culprit = e instanceof LossInputError && e.option && e.option in partial ? e.option : undefined;
      if (!culprit) {
        problems.push({ setting: SETTINGS_SECTION, message: errorMessage(e) });
        return { options: { ...DEFAULT_OPTIONS }, problems };
      }
      problems.push({ setting: settingName(culprit), message: errorMessage(e) });
      delete partial[culprit];
    }
  }
  return { options: { ...DEFAULT_OPTIONS }, problems };
}

/**
 * The whole configuration. `get` is typically `workspace.getConfiguration('lossInspector').get`, which returns
 * the contributed default for unset settings; undefined falls back to the defaults here.
 */
export function resolveSettings(get: SettingGetter): ResolvedSettings {
  const { options, problems } = optionsFromSettings(get);

  let classNames: string[] | null = null;
  const cn = get('classNames');
  if (cn !== undefined && cn !== null) {
    if (Array.isArray(cn) && cn.every((x) => typeof x === 'string')) {
      classNames = cn.length > 0 ? [...cn] : null;
    } else {
      problems.push({ setting: settingName('classNames'), message: `expected a list of class names (strings) or null, got ${JSON.stringify(cn)}` });
    }
  }

  const positive = (key: 'maxTensorMB' | 'debugger.maxTensorMB', integer: boolean, min: number): number => {
    const v = get(key);
    const d = EXTRA_SETTING_DEFAULTS[key];
    if (v === undefined || v === null) return d;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || (integer && !Number.isInteger(v))) {
      problems.push({
        setting: settingName(key),
        message: `expected ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${JSON.stringify(v)}; using ${d}`,
      });
      return d;
    }
    return v;
  };
  /** `defaultNumClasses`: an integer ≥ 1, or not set (null). */
  const classCount = (): number | null => {
    const v = get('defaultNumClasses');
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
      problems.push({ setting: settingName('defaultNumClasses'), message: `expected an integer ≥ 1 or null, got ${JSON.stringify(v)}; not using it` });
      return null;
    }
    return v;
  };
  const flag = (key: 'codeLens.enabled' | 'diagnostics.enabled'): boolean => {
    const v = get(key);
    if (v === undefined || v === null) return EXTRA_SETTING_DEFAULTS[key];
    if (typeof v !== 'boolean') {
      problems.push({ setting: settingName(key), message: `expected true or false, got ${JSON.stringify(v)}` });
      return EXTRA_SETTING_DEFAULTS[key];
    }
    return v;
  };

  let debuggerDebugTypes: string[] = [];
  const dt = get('debugger.debugTypes');
  if (dt !== undefined && dt !== null) {
    if (Array.isArray(dt) && dt.every((x) => typeof x === 'string' && x !== '')) debuggerDebugTypes = [...dt];
    else problems.push({ setting: settingName('debugger.debugTypes'), message: `expected a list of debug types (strings), got ${JSON.stringify(dt)}` });
  }

  return {
    settings: {
      options,
      classNames,
      maxTensorMB: positive('maxTensorMB', false, 1),
      codeLensEnabled: flag('codeLens.enabled'),
      diagnosticsEnabled: flag('diagnostics.enabled'),
      defaultNumClasses: classCount(),
      debuggerMaxTensorMB: positive('debugger.maxTensorMB', false, 1),
      debuggerDebugTypes,
    },
    problems,
  };
}

/**
 * Options for one comparison: the settings' options with `overrides` (a command argument, a CodeLens, the
 * webview) on top. Unlike settings, a bad override is an error of the caller: it throws the engine's
 * LossInputError naming the option.
 */
export function mergeOptions(base: LossOptions, overrides: Partial<LossOptions> | Record<string, unknown> | undefined): LossOptions {
  if (overrides === undefined || overrides === null) return resolveOptions(base);
  if (typeof overrides !== 'object' || Array.isArray(overrides)) {
    throw new LossInputError(`options must be an object with the golden option keys, got ${JSON.stringify(overrides)}`);
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return resolveOptions({ ...base, ...defined });
}

/** One line for a notification: `Loss Inspector settings: lossInspector.x: problem; lossInspector.y: problem`. */
export function formatProblems(problems: readonly SettingProblem[]): string {
  return `Loss Inspector settings: ${problems.map((p) => `${p.setting}: ${p.message}`).join('; ')}`;
}

/** A boolean option whose flip the engine's error asks for (e.g. `set toOnehotY`). */
export interface OptionFix {
  option: keyof LossOptions;
  value: boolean;
  options: LossOptions;
}

/**
 * The fix for an engine error that names a boolean option (LossInputError.option): the same options with that
 * one flipped, when they are valid. Null for other errors (weights, shapes, ε), which have no one-flip fix.
 */
export function suggestOptionFix(option: string | undefined, options: LossOptions): OptionFix | null {
  if (!option || !(option in options)) return null;
  const key = option as keyof LossOptions;
  const cur = options[key];
  if (typeof cur !== 'boolean') return null;
  try {
    const flipped = resolveOptions({ ...options, [key]: !cur });
    return { option: key, value: !cur, options: flipped };
  } catch {
    return null;
  }
}
