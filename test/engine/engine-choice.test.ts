/** chooseEngine and notEthernet, what `watch --engine auto|ebpf|pcap` decides before anything starts. */
import { describe, expect, it } from 'vitest';
import { chooseEngine, notEthernet } from '../../src/engine/engine-choice.js';

const CAN_RUN = { ebpfUnavailable: null, captureFilter: false, notFollowed: null };
const NO_CAP_BPF = 'missing capability CAP_BPF (to load the eBPF programs and create and read their maps)';

describe('chooseEngine', () => {
  it('auto takes the eBPF engine where it can run, else libpcap with the probe\'s reason', () => {
    expect(chooseEngine('auto', CAN_RUN)).toEqual({ engine: 'ebpf', why: expect.stringMatching(/^auto: the eBPF loader is built, .*CAP_BPF, CAP_NET_ADMIN and CAP_PERFMON$/) });
    expect(chooseEngine('auto', { ...CAN_RUN, ebpfUnavailable: NO_CAP_BPF })).toEqual({ engine: 'pcap', why: `auto: the eBPF engine cannot run: ${NO_CAP_BPF}` });
  });

  it('auto takes libpcap for a capture filter or an interface the loader would not follow', () => {
    expect(chooseEngine('auto', { ...CAN_RUN, captureFilter: true })).toEqual({ engine: 'pcap', why: 'auto: --filter needs the libpcap engine' });
    expect(chooseEngine('auto', { ...CAN_RUN, notFollowed: 'lo is not Ethernet' })).toEqual({ engine: 'pcap', why: 'auto: lo is not Ethernet' });
  });

  it('ebpf refuses (engine null, the one-line reason) where it cannot run, for a filter, and for an interface it would not follow', () => {
    expect(chooseEngine('ebpf', CAN_RUN)).toEqual({ engine: 'ebpf', why: '--engine ebpf' });
    expect(chooseEngine('ebpf', { ...CAN_RUN, ebpfUnavailable: NO_CAP_BPF })).toEqual({ engine: null, why: NO_CAP_BPF });
    expect(chooseEngine('ebpf', { ...CAN_RUN, captureFilter: true }).engine).toBeNull();
    expect(chooseEngine('ebpf', { ...CAN_RUN, notFollowed: 'lo is not Ethernet' })).toEqual({ engine: null, why: 'lo is not Ethernet' });
  });

  it('pcap is libpcap whatever the eBPF engine could do', () => {
    expect(chooseEngine('pcap', CAN_RUN)).toEqual({ engine: 'pcap', why: '--engine pcap' });
  });
});

describe('notEthernet', () => {
  const types: Record<string, number> = { lo: 772, eth0: 1, br0: 1, wg0: 65534 };
  const linkType = (name: string) => types[name] ?? null;

  it('names the first existing interface that is not Ethernet', () => {
    expect(notEthernet(['eth0', 'lo', 'wg0'], linkType)).toBe('lo is not an Ethernet interface (link type 772); the eBPF engine attaches to Ethernet interfaces only');
    expect(notEthernet(['eth0', 'br0'], linkType)).toBeNull();
  });

  it('passes over patterns, any, and interfaces that do not exist yet (the loader attaches when they appear)', () => {
    expect(notEthernet(['any', 'veth*', 'cali?', 'missing0'], linkType)).toBeNull();
  });

  it('reads this machine\'s sysfs by default: lo is loopback', () => {
    expect(notEthernet(['lo'])).toMatch(/^lo is not an Ethernet interface \(link type 772\)/);
  });
});
