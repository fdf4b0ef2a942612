import dgram from 'node:dgram';

export interface DnsResponder {
  port: number;
  /** Questions asked, as "name TYPE". */
  questions: string[];
  close(): Promise<void>;
}

/**
 * A tiny authoritative DNS server on UDP: answers A questions for the names it knows
 * (RFC 1035 wire format, one answer, name by compression pointer), NXDOMAIN otherwise.
 */
export async function startDnsResponder(records: Record<string, string>, host = '127.0.0.1'): Promise<DnsResponder> {
  const socket = dgram.createSocket('udp4');
  const questions: string[] = [];
  socket.on('message', (query, from) => {
    if (query.length < 12) return;
    const labels: string[] = [];
    let offset = 12;
    while (offset < query.length && query[offset] !== 0) {
      const len = query[offset]!;
      labels.push(query.subarray(offset + 1, offset + 1 + len).toString('latin1'));
      offset += 1 + len;
    }
    const questionEnd = offset + 5; // zero label, QTYPE, QCLASS
    if (questionEnd > query.length) return;
    const qtype = query.readUInt16BE(offset + 1);
    const name = labels.join('.').toLowerCase();
    questions.push(`${name} ${qtype === 1 ? 'A' : qtype}`);
    const address = qtype === 1 ? records[name] : undefined;
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2); // id
    header.writeUInt16BE(0x8400 | (query.readUInt16BE(2) & 0x0100) | (records[name] === undefined ? 3 : 0), 2); // QR AA RD, rcode
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(address ? 1 : 0, 6);
    const parts = [header, query.subarray(12, questionEnd)];
    if (address) {
      const answer = Buffer.alloc(16);
      answer.writeUInt16BE(0xc00c, 0);
      answer.writeUInt16BE(1, 2);
      answer.writeUInt16BE(1, 4);
      answer.writeUInt32BE(60, 6);
      answer.writeUInt16BE(4, 10);
      address.split('.').forEach((octet, i) => answer.writeUInt8(Number(octet), 12 + i));
      parts.push(answer);
    }
    socket.send(Buffer.concat(parts), from.port, from.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, host, resolve));
  return { port: socket.address().port, questions, close: () => new Promise((resolve) => socket.close(() => resolve())) };
}
