/** The user and home directory the spec tests load with (src/spec takes them as inputs). */
import type { LoadOptions } from '../../../src/spec/index.ts';

export const SPEC_ENV: LoadOptions = { defaultUser: 'tester', homeDir: '/home/tester' };
