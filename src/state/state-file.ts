/**
 * The local state backend: read, validate and atomically write the state file. The pure
 * transitions of a VM's entry live in src/plan/state-transitions.ts.
 *
 * A write goes to a temp file of unpredictable name (O_EXCL|O_NOFOLLOW, fsync) -> copy of the
 * current file to `<path>.backup` -> rename over `<path>` -> fsync of the directory
 * (src/files/atomic-write.ts), so a crash at any point leaves
 * either the old or the new state in place, never a truncated one.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { STATE_VERSION } from '../plan/state-model.ts';
import type { ColoState } from '../plan/state-model.ts';
import { writeFileAtomic } from '../files/atomic-write.ts';
import { ensurePrivateStateDir } from './state-dir.ts';
import { describeFsError } from './fs-error.ts';

/** The state file is missing what colo needs, is not JSON, or belongs to another lineage. */
export class StateError extends Error {
  constructor(
    /** The state file concerned. */
    readonly file: string,
    message: string,
  ) {
    super(message);
    this.name = 'StateError';
  }
}

export const backupPathFor = (statePath: string): string => `${statePath}.backup`;

/** A fresh, never-written state (serial 0; the first write makes it 1). */
export function newState(coloVersion: string): ColoState {
  return { version: STATE_VERSION, lineage: randomUUID(), serial: 0, coloVersion, vms: {} };
}

let validator: ValidateFunction<ColoState> | undefined;

function validate(): ValidateFunction<ColoState> {
  if (!validator) {
    // Same path from src/state and dist/state: the package ships schemas/ at its root.
    const schemaUrl = new URL('../../schemas/state.schema.json', import.meta.url);
    const schema = JSON.parse(readFileSync(schemaUrl, 'utf8')) as object;
    // Checked against the meta-schema by a unit test (test/unit/state/state-file.test.ts), not at every run.
    const ajv = new Ajv2020({
      allErrors: true,
      strict: true,
      validateFormats: false,
      validateSchema: false,
      code: { optimize: false },
    });
    validator = ajv.compile<ColoState>(schema);
  }
  return validator;
}

function describeSchemaError(e: ErrorObject): string {
  const where = e.instancePath === '' ? '(top level)' : e.instancePath;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return `${where}: missing required key "${String(params['missingProperty'])}"`;
    case 'additionalProperties':
      return `${where}: unknown key "${String(params['additionalProperty'])}"`;
    case 'enum':
      return (
        `${where}: must be one of ` +
        `${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
      );
    default:
      return `${where}: ${e.message ?? e.keyword}`;
  }
}

/**
 * Checks a parsed value against the state format. Returns it typed, or throws a StateError
 * naming `file` and listing every problem.
 */
export function parseState(value: unknown, file: string): ColoState {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new StateError(file, `state file ${file} is not a colo state: expected a JSON object`);
  }
  const version = (value as { version?: unknown }).version;
  if (version !== STATE_VERSION) {
    const newer = typeof version === 'number' && version > STATE_VERSION;
    throw new StateError(
      file,
      newer
        ? `state file ${file} has format version ${version}, written by a newer colo; this colo reads version ` +
            `${STATE_VERSION}. Upgrade colo.`
        : `state file ${file} has format version ${JSON.stringify(version ?? null)}; this colo reads version ` +
            `${STATE_VERSION}`,
    );
  }
  const check = validate();
  if (!check(value)) {
    const problems = (check.errors ?? []).map(describeSchemaError);
    throw new StateError(file, `state file ${file} is not a valid colo state:\n  ${problems.join('\n  ')}`);
  }
  return value;
}

/** Reads the state file. A missing file gives null; anything unreadable throws a StateError. */
export async function readState(statePath: string): Promise<ColoState | null> {
  let text: string;
  try {
    text = await fs.readFile(statePath, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateError(statePath, `cannot read state file ${statePath}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new StateError(
      statePath,
      `state file ${statePath} is not valid JSON (${(err as Error).message}). ` +
        `The previous version, if any, is in ${backupPathFor(statePath)}.`,
    );
  }
  return parseState(value, statePath);
}

/** Throws a StateError unless `state` has the lineage `expected` (Terraform's lineage check). */
export function assertSameLineage(state: ColoState, expected: string, file: string): void {
  if (state.lineage !== expected) {
    throw new StateError(
      file,
      `state file ${file} has lineage ${state.lineage}, expected ${expected}: ` +
        `it is a different state, not a newer version of the same one`,
    );
  }
}

export interface WriteStateOptions {
  /**
   * Write even when the file on disk has another lineage or a higher serial (state push -force).
   * Off by default.
   */
  force?: boolean;
}

/**
 * Writes `state` with its serial incremented, atomically, keeping the previous file as
 * `<path>.backup`. Creates the parent directory (mode 0700) when missing and refuses
 * one that others can write (src/state/state-dir.ts).
 *
 * Refuses (StateError) to replace a file of another lineage, or one whose serial is higher than
 * `state.serial` (it was written by someone else after `state` was read). Returns the state as
 * written: use it, not `state`, for the next write.
 */
export async function writeState(
  statePath: string,
  state: ColoState,
  opts: WriteStateOptions = {},
): Promise<ColoState> {
  const next: ColoState = { ...state, serial: state.serial + 1 };
  parseState(next, statePath); // never write what we could not read back
  await ensurePrivateStateDir(path.dirname(statePath));

  const current = await readState(statePath).catch((err: unknown) => {
    if (opts.force) return null;
    if (err instanceof StateError) {
      throw new StateError(statePath, `${err.message}\nRefusing to overwrite it; move it away or fix it first.`);
    }
    throw err;
  });
  if (current && !opts.force) {
    assertSameLineage(current, state.lineage, statePath);
    if (current.serial > state.serial) {
      throw new StateError(
        statePath,
        `state file ${statePath} changed since it was read (serial ${current.serial} on disk, ${state.serial} ` +
          `in memory); ` +
          `refusing to overwrite it`,
      );
    }
  }

  try {
    await writeFileAtomic(statePath, `${JSON.stringify(next, null, 2)}\n`, {
      beforeRename: async () => {
        if (current === null && !(await exists(statePath))) return;
        const backup = backupPathFor(statePath);
        await writeFileAtomic(backup, await fs.readFile(statePath), { mode: 0o600 });
      },
    });
  } catch (err) {
    throw new StateError(
      statePath,
      `cannot write state file ${statePath} (serial ${next.serial}): ${describeFsError(err)}. ` +
        (current
          ? `The previous state (serial ${current.serial}) is unchanged in ${statePath}.`
          : 'No state file was written.'),
    );
  }
  return next;
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.access(file);
    return true;
  } catch {
    return false;
  }
}
