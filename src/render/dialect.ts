/**
 * QEMU dialects: the differences in command line and QMP between QEMU versions that matter for COLO.
 * Chosen from a probe of the real binary (see src/qmp/probe.ts) or from a version number.
 */
export interface QemuVersion {
  major: number;
  minor: number;
  micro: number;
}

export interface Dialect {
  version: QemuVersion;
  /** Socket chardev client reconnect option: `reconnect=1` (< 9.2) or `reconnect-ms=1000` (>= 9.2; `reconnect` removed in 10.2). */
  reconnectOption: 'reconnect' | 'reconnect-ms';
  /** Since 8.1 the secondary must also enable the x-colo migration capability before migration comes in. */
  secondaryNeedsXColo: boolean;
  /** QEMU versions where COLO never reaches the colo state (10.0.0-10.0.6, 10.1.0-10.1.2). */
  coloBroken: boolean;
  /** Debian 7.2 without the two TCG fixes deadlocks / corrupts the secondary under TCG. Warn when paired with accel tcg. */
  tcgColoBugs: boolean;
}
