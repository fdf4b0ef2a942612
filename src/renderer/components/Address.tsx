/**
 * A [user@]host:port that wraps after the "@" first (a normal break opportunity), inside a host
 * name only when it cannot fit otherwise (overflow-wrap's emergency breaks), never inside the
 * port: "127.0.0.1:4222 1" would read as another address.
 */
export function Address({ value, className }: { value: string; className?: string }) {
  const at = value.lastIndexOf('@');
  const user = at >= 0 ? value.slice(0, at + 1) : '';
  const rest = at >= 0 ? value.slice(at + 1) : value;
  const m = /^(.*?)(:[0-9]+|:\(port chosen[^)]*\))$/.exec(rest);
  return (
    <span className={className} title={value}>
      {user && (
        <>
          <span className="addr-user">{user}</span>
          <wbr />
        </>
      )}
      {!m ? (
        rest
      ) : (
        <>
          <span className="addr-host">{m[1]}</span>
          <span className="addr-port">{m[2]}</span>
        </>
      )}
    </span>
  );
}
