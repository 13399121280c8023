/**
 * What `colo plan` reads on a cluster host, in one script over its SSH connection (pure; values only
 * as positional parameters): the cluster packages (dpkg-query), the mode and sha256 of each file colo
 * writes there (never a file's content: the authkey and fence configs are secrets), the daemons'
 * state (systemd units, or the `direct` script's status), and, when pacemakerd answers, the CIB
 * (`cibadmin -Q`) and crm_mon's XML. Sections start with `@@colo NAME` lines (parseClusterObserve).
 */
import { DIRECT_SERVICES_SCRIPT } from './direct-services.ts';

export const OBSERVE_PACKAGES = ['corosync', 'pacemaker', 'pacemaker-cli-utils', 'fence-agents', 'corosync-qdevice'];

export const CLUSTER_OBSERVE_SCRIPT = [
  'set -u',
  'PATH=/usr/sbin:/usr/bin:/sbin:/bin',
  'mode=$1; direct=$2; npkg=$3; shift 3',
  'echo "@@colo packages"',
  'i=0; pk=""; while [ $i -lt "$npkg" ]; do pk="$pk $1"; shift; i=$((i + 1)); done',
  // eslint-disable-next-line no-template-curly-in-string
  "dpkg-query -W -f '${Package} ${db:Status-Abbrev}\\n' $pk 2>/dev/null",
  'echo "@@colo files"',
  'for f in "$@"; do if [ -f "$f" ]; then echo "$(stat -c %a "$f") $(sha256sum < "$f" | cut -d" " -f1) $f"; ' +
    'else echo "- - $f"; fi; done',
  'echo "@@colo services"',
  'if [ "$mode" = direct ]; then sh -c "$direct" colo-cluster-services status 30 120',
  'else for u in corosync pacemaker; do s=$(systemctl is-active "$u" 2>/dev/null); ' +
    '[ "$s" = active ] && s=running; echo "$u=${s:-stopped}"; done | sed "s/^pacemaker=/pacemakerd=/"; fi',
  'if crmadmin -P -t 2s 2>/dev/null | grep -q "Pacemaker is running"; then',
  '  echo "@@colo cib"; cibadmin -Q -t 10 2>&1 || echo "@@colo cib-error"',
  '  echo "@@colo crm_mon"; crm_mon -1 --output-as=xml 2>/dev/null',
  'fi',
  'echo "@@colo end"',
].join('\n');

/** The argv of the observe script for a host of a cluster started per `services`. */
export function clusterObserveArgv(services: 'systemd' | 'direct', files: readonly string[]): string[] {
  return [
    'sh',
    '-c',
    CLUSTER_OBSERVE_SCRIPT,
    'colo-cluster-observe',
    services,
    DIRECT_SERVICES_SCRIPT,
    String(OBSERVE_PACKAGES.length),
    ...OBSERVE_PACKAGES,
    ...files,
  ];
}
