/**
 * Sees the payload of packets sent from one port, as they pass, before the flow table: for
 * evidence carried by every packet rather than the first bytes of a flow (DNS answers: a resolver
 * connection carries many, and names must be known before the flows that use them end).
 */
export interface PayloadTap {
  /** Packets whose source port is this one are handed over, whatever their protocol (ICMP has port equivalents): the tap checks it. */
  readonly sourcePort: number;
  /**
   * @param data valid only during the call
   * @param truncated the capture cut the payload (snaplen)
   */
  onPayload(protocol: number, data: Buffer, offset: number, length: number, truncated: boolean, timestampSeconds: number): void;
}
