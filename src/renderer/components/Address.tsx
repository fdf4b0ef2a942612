/**
 * A host:port that may wrap only inside the host (long names), never inside or before the
 * port: "127.0.0.1:4222 1" would read as another address.
 */
export function Address({ value, className }: { value: string; className?: string }) {
  const m = /^(.*?)(:[0-9]+|:\(port chosen[^)]*\))$/.exec(value);
  if (!m) return <span className={className}>{value}</span>;
  return (
    <span className={className} title={value}>
      <span className="addr-host">{m[1]}</span>
      <span className="addr-port">{m[2]}</span>
    </span>
  );
}
