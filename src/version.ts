/** colo's own version, kept in step with package.json (a unit test checks it). */
export const COLO_VERSION = '0.1.0';
