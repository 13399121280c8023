/**
 * The recipe model: everything colo sends to a QEMU (QMP) or runs on a host (remote scripts), as
 * plain JSON-serialisable data. src/render produces recipes; one executor in src/engine
 * (run-recipe*.ts) interprets them; `colo render` prints them. Conditions are data too: a
 * predicate reads a value out of a reply colo received earlier in the same recipe (a "fact") by a
 * path and compares it with an expected value.
 */
import type { QmpCommand } from '../qmp-command.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * The QEMU a recipe (or one operation of it) talks to, by its role; `either`: the VM's QEMU on the
 * host whatever its role (observation).
 */
export type QemuRole = 'primary' | 'secondary' | 'either';

/**
 * One step into a reply: an object key, an array index, or the first array element whose `where`
 * key equals `equals` (e.g. the block job with device "resync-disk0").
 */
export type PathStep = string | number | { where: string; equals: Json };

/** A value inside a fact: `fact` is the name a query stored its reply under. */
export interface Ref {
  fact: string;
  path?: PathStep[];
}

export type Predicate =
  /** The value equals (deeply) this JSON value. */
  | { at: Ref; equals: Json }
  | { at: Ref; oneOf: Json[] }
  /** Two values are equal. */
  | { at: Ref; sameAs: Ref }
  /** The value exists (true) or does not (false); null counts as absent. */
  | { at: Ref; present: boolean }
  /** The value is of this JSON type. */
  | { at: Ref; type: 'number' | 'string' | 'boolean' | 'object' | 'array' }
  /** A number with all these bits set. */
  | { at: Ref; bitsSet: number }
  /** An array with a string element starting with this. */
  | { at: Ref; someStartsWith: string }
  /** A command labelled so ran without an error (see QmpStep.label). */
  | { succeeded: string }
  | { all: Predicate[] }
  | { any: Predicate[] }
  | { not: Predicate };

/** Text filled in at run time from facts. */
export type TemplatePart =
  | string
  /** The value as text (strings bare, others as JSON); `absent` when it does not exist. */
  | { value: Ref; absent?: string }
  /** The first number minus the second. */
  | { difference: [Ref, Ref] }
  | { when: Predicate; then: Template }
  /** The names of a check's items that hold, joined by ", ". */
  | { matched: true };
export type Template = TemplatePart[];

/** QMP errors (or any errors) a command may end with without failing the recipe. */
export type Tolerance =
  | { anyQmpError: true }
  /** A QMP error whose description matches this regular expression (case-insensitive). */
  | { qmpErrorMatching: string }
  /** Any error at all, also a lost connection or a time-out. */
  | { anyError: true };

/** One command of a send operation. */
export interface QmpStep {
  command: QmpCommand;
  /** Sent only when this holds ("only if present" guards). */
  when?: Predicate;
  /** Its outcome is kept under this label: `{ succeeded: label }` holds when it returned. */
  label?: string;
  tolerate?: Tolerance;
  /** Reported as removed (e.g. a node name) once it returned. */
  removes?: string;
}

/** A reply stored as a fact. */
export interface Query {
  as: string;
  command: QmpCommand;
  /** Default: the recipe's QEMU. */
  on?: QemuRole;
  /**
   * On an error: `fail` (default) fails the recipe; `absent` leaves the fact absent; `use` stores
   * this value instead.
   */
  onError?: 'fail' | 'absent' | { use: Json };
}

/** Fails the recipe when `when` holds; without `when`, when any item holds. */
export interface Check {
  when?: Predicate;
  items?: { name: string; when: Predicate }[];
  message: Template;
}

/** Wait until the job events arrived for every job (BLOCK_JOB_ERROR for one of them fails). */
export interface JobWait {
  /** BLOCK_JOB_COMPLETED also accepts BLOCK_JOB_CANCELLED (a cancelled READY mirror). */
  event: 'BLOCK_JOB_READY' | 'BLOCK_JOB_COMPLETED';
  jobIds: string[];
  timeoutMs: number;
}

interface OpBase {
  /** The operation runs only when this holds. */
  when?: Predicate;
  /** Default: the recipe's QEMU. */
  on?: QemuRole;
}

/**
 * Commands in order. One by one (stopping at the first error not tolerated), or pipelined: all
 * sent at once, every reply checked afterwards.
 */
export interface SendOp extends OpBase {
  op: 'send';
  /** A phase name is shown as progress, prefixes QMP errors and names the phase's wall time. */
  phase?: string;
  steps: QmpStep[];
  pipelined?: boolean;
  /** Per command; default: the client's. */
  timeoutMs?: number;
  /** Job events awaited after the commands (only events after the phase began count). */
  waitFor?: JobWait;
}

/** Queries sent at once (per QEMU, pipelined; both QEMUs in parallel), their replies kept as facts. */
export interface QueryOp extends OpBase {
  op: 'query';
  queries: Query[];
  timeoutMs?: number;
}

/** Queries (optional), then the checks: the first that holds fails the recipe. */
export interface CheckOp extends OpBase {
  op: 'check';
  queries?: Query[];
  fail: Check[];
}

/** Queries every intervalMs until no `pending` entry holds; a `fail` check ends it at once. */
export interface PollOp extends OpBase {
  op: 'poll';
  /** "waiting for <what>" in the time-out message. */
  what: string;
  queries: Query[];
  fail?: Check[];
  pending: { when: Predicate; show: Template }[];
  /** Put before the pending entries' texts in the time-out message. */
  lastSeenPrefix?: string;
  intervalMs: number;
  timeoutMs: number;
  /** Its wall time is kept under this name. */
  timing?: string;
  /** Shown as progress, with the wall time, when the wait took longer than overMs. */
  slowNote?: { overMs: number; text: string };
}

export interface WaitEventOp extends OpBase {
  op: 'wait-event';
  /** Any of these. */
  events: string[];
  /** data.device of the event. */
  device?: string;
  /** Events after a mark or after an event awaited earlier; default: events arriving from now on. */
  after?: { mark: string } | { event: string };
  /** Kept under this name (for `after`, and in the result). */
  as?: string;
  timeoutMs: number;
  /** A time-out is not an error. */
  optional?: boolean;
}

/** Remembers the QEMU's event position, for a later `after: { mark }`. */
export interface MarkOp extends OpBase {
  op: 'mark';
  as: string;
}

/** A progress line. */
export interface NoteOp extends OpBase {
  op: 'note';
  text: string;
}

/**
 * Runs `ops`; when one fails, runs `rescue`, then fails with
 * "<failure>: <error> (<rescued> | <rescueFailed>: <error of the rescue>)".
 */
export interface RescueOp extends OpBase {
  op: 'rescue';
  ops: QmpOp[];
  rescue: QmpOp[];
  failure: string;
  rescued: string;
  rescueFailed: string;
  timing?: string;
}

/** Runs another recipe (with its own facts) on the same QEMUs. */
export interface IncludeOp extends OpBase {
  op: 'include';
  recipe: QmpRecipe;
}

export type QmpOp = SendOp | QueryOp | CheckOp | PollOp | WaitEventOp | MarkOp | NoteOp | RescueOp | IncludeOp;

export interface QmpRecipe {
  kind: 'qmp';
  name: string;
  /** What it does, in one line. */
  summary: string;
  vm: string;
  /** The QEMU it talks to unless an operation says otherwise. */
  role: QemuRole;
  /** Host of each QEMU the recipe talks to. */
  hosts: Partial<Record<QemuRole, string>>;
  ops: QmpOp[];
  /** Run the whole recipe again (its commands tolerate what an earlier run did) on these QMP errors. */
  retry?: { qmpErrorMatching: string; times: number; delayMs: number };
}

/** An argument of a remote command: a literal, or a value from a fact of an earlier QMP recipe. */
export type ScriptArg = string | { fact: Ref; what: string };

export type ScriptBody =
  /** One program, no shell. */
  | { kind: 'exec'; argv: ScriptArg[] }
  /** `sh -c 'a && b && c'`: every argument quoted; the first failure stops the batch. */
  | { kind: 'batch'; commands: ScriptArg[][] }
  /** `sh -c <text> <name> <args...>`: a fixed script; values reach it only as positional parameters. */
  | { kind: 'script'; name: string; text: string; args: ScriptArg[] };

export interface ScriptRecipe {
  kind: 'script';
  name: string;
  summary: string;
  host: string;
  body: ScriptBody;
  timeoutMs: number;
  /**
   * exit-zero: a non-zero exit fails (the Transport's CommandError); output: the caller reads the
   * result; expect: fails with "<failure>: <stdout> <stderr>" unless it exits 0 and prints this.
   */
  outcome: { kind: 'exit-zero' } | { kind: 'output' } | { kind: 'expect'; stdoutIncludes: string; failure: string };
}

export type Recipe = QmpRecipe | ScriptRecipe;
