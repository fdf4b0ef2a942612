/**
 * The server half of UDP forwarding: one short program, run by an interpreter the server already
 * has, passed on the exec command line (nothing is written to the server's disk). Perl comes
 * first (essential on Debian/Ubuntu, present on macOS and most Unix), python3 second. Both
 * speak the frames of relay-protocol.ts on stdin/stdout and behave the same:
 *
 *   argv: mode (L | R) host port idleSeconds maxFlows outQueueBytes
 *   L  every flow id gets its own socket connected to host:port (replies come back on it);
 *      an IPv4 address of host is preferred, as "localhost" services often listen on 127.0.0.1
 *      only and UDP gives no refusal to fall back on.
 *   R  binds host:port ("localhost": 127.0.0.1 and ::1; "*": all interfaces) and makes each
 *      sender address a flow, announced with an open frame; replies go back to that sender.
 *
 * Flows idle for idleSeconds are closed (0: never); past maxFlows, or when the server has no
 * descriptor left for a new flow's socket, the least recently used is evicted; both are reported with a close frame. Output to us is written once per wake-up (all
 * datagrams read in it in one write, so one SSH packet carries many), queued up to outQueueBytes,
 * beyond that datagrams are dropped and counted (stats frame), as UDP would. poll-style waiting
 * (IO::Poll, selectors) because select() stops at descriptor 1024 and flows can be thousands.
 * Receive buffers are raised (1 MiB for a shared listening socket, 256 KiB per flow; the kernel
 * caps them at net.core.rmem_max) so a burst of large datagrams is not lost at the socket.
 */

export const PERL_RELAY = String.raw`use strict;
use Socket qw(:addrinfo SOCK_DGRAM AF_INET IPPROTO_IPV6 IPV6_V6ONLY SOL_SOCKET SO_RCVBUF);
use IO::Poll qw(POLLIN POLLOUT POLLERR POLLHUP);
use Fcntl qw(F_GETFL F_SETFL O_NONBLOCK);
use POSIX qw(EAGAIN EWOULDBLOCK EINTR EMFILE ENFILE);
use Time::HiRes qw(time);
my ($mode,$host,$port,$idle,$max,$outmax)=@ARGV;
$SIG{PIPE}="IGNORE";
binmode STDIN;binmode STDOUT;
my $ofl=fcntl(STDOUT,F_GETFL,0);fcntl(STDOUT,F_SETFL,$ofl|O_NONBLOCK);
my ($out,$in,$drops,$sentdrops,$next)=("","",0,0,1);
my (%flows,%bypeer,%byfh,%lsock);
my $poll=IO::Poll->new;
sub flush{while(length $out){my $n=syswrite(STDOUT,$out);if(defined $n){substr($out,0,$n,"")}elsif($!==EAGAIN||$!==EWOULDBLOCK||$!==EINTR){last}else{exit 0}}}
sub emit{my($t,$id,$p)=@_;$p="" unless defined $p;if($t==2&&length($out)>$outmax){$drops++;return}$out.=pack("NCN",5+length($p),$t,$id).$p}
sub fatal{my($w,$m)=@_;$m=~s/[\r\n]+/ /g;emit(5,0,"$w $m");fcntl(STDOUT,F_SETFL,$ofl);flush();exit 3}
sub addrtext{my($e,$h,$s)=getnameinfo($_[0],NI_NUMERICHOST|NI_NUMERICSERV);return "?" if $e;return $h=~/:/?"[$h]:$s":"$h:$s"}
sub nb{my $f=fcntl($_[0],F_GETFL,0);fcntl($_[0],F_SETFL,$f|O_NONBLOCK)}
sub drop_flow{my($id,$why)=@_;my $f=delete $flows{$id};return unless $f;
 if($mode eq "L"){$poll->remove($f->[0]);delete $byfh{fileno $f->[0]};close $f->[0]}else{delete $bypeer{$f->[3]." ".$f->[2]}}
 emit(4,$id,pack("C",$why)) if defined $why}
sub evict{my($old,$t);for(keys %flows){if(!defined $t||$flows{$_}[1]<$t){$t=$flows{$_}[1];$old=$_}}drop_flow($old,1) if defined $old}
sub room{evict() if scalar(keys %flows)>=$max}
my (@target,@bound);
if($mode eq "L"){
 my($e,@ai)=getaddrinfo($host,$port,{socktype=>SOCK_DGRAM});
 fatal("RESOLVE","$host: $e") if $e||!@ai;@target=sort{($a->{family}==AF_INET?0:1)<=>($b->{family}==AF_INET?0:1)}@ai;
}else{
 my @hosts=$host eq "localhost"?("127.0.0.1","::1"):($host eq "*"||$host eq "")?("::","0.0.0.0"):($host);
 my $p=$port;
 for my $h (@hosts){
  my $must=!%lsock&&($h ne "::"||$h eq $hosts[-1]);
  my $where=($h=~/:/?"[$h]":$h).":$p";
  my($e,@ai)=getaddrinfo($h,$p,{socktype=>SOCK_DGRAM,flags=>AI_PASSIVE});
  if($e||!@ai){fatal("BIND","$where: $e") if $must;next}
  my $s;my $ok=socket($s,$ai[0]{family},SOCK_DGRAM,0);
  setsockopt($s,IPPROTO_IPV6,IPV6_V6ONLY,0) if $ok&&$h eq "::";
  setsockopt($s,SOL_SOCKET,SO_RCVBUF,1048576) if $ok;
  $ok=$ok&&bind($s,$ai[0]{addr});
  if(!$ok){fatal("BIND","$where: $!") if $must;next}
  nb($s);$poll->mask($s=>POLLIN);$lsock{fileno $s}=$s;push @bound,addrtext(getsockname($s));
  if($p==0){my($e2,$hh,$ss)=getnameinfo(getsockname($s),NI_NUMERICHOST|NI_NUMERICSERV);$p=$ss}
  last if $h eq "::";
 }
}
sub open_l{my($id)=@_;room();my $s;
 for my $try (0,1){
  last if socket($s,$target[0]{family},SOCK_DGRAM,0)&&connect($s,$target[0]{addr});
  if($try==0&&($!==EMFILE||$!==ENFILE)&&%flows){emit(5,$id,"SOCKET $! (evicting the least recently used flow)");evict();next}
  emit(5,$id,"SOCKET $!");emit(4,$id,pack("C",2));return undef}
 setsockopt($s,SOL_SOCKET,SO_RCVBUF,262144);nb($s);$poll->mask($s=>POLLIN);my $f=[$s,time,undef,undef];$flows{$id}=$f;$byfh{fileno $s}=$id;return $f}
sub frames{my $off=0;my $n=length $in;
 while($n-$off>=4){my $len=unpack("N",substr($in,$off,4));
  if($len<5||$len>65540){print STDERR "tvudp: bad frame from the client\n";exit 4}
  last if $n-$off<4+$len;
  my($t,$id)=unpack("CN",substr($in,$off+4,5));my $p=substr($in,$off+9,$len-5);$off+=4+$len;
  if($t==2){my $f=$flows{$id};
   if(!$f){if($mode eq "L"){$f=open_l($id)}unless($f){$drops++;next}}
   $f->[1]=time;my $ok=$mode eq "L"?send($f->[0],$p,0):send($f->[0],$p,0,$f->[2]);$drops++ unless defined $ok}
  elsif($t==4){drop_flow($id,undef)}}
 substr($in,0,$off,"")}
emit(1,0,"tvudp/1 interp=perl".join("",map{" bound=$_"}@bound).($mode eq "L"?" target=".addrtext($target[0]{addr}):""));flush();
$poll->mask(\*STDIN=>POLLIN);
my $lastsweep=time;my $buf;
while(1){
 $poll->mask(\*STDOUT=>(length($out)?POLLOUT:0));
 $poll->poll(1);
 for my $s ($poll->handles(POLLIN|POLLERR|POLLHUP)){
  my $fn=fileno($s);next unless defined $fn;
  if($fn==0){my $r=sysread(STDIN,$in,262144,length $in);if(!defined $r){next if $!==EINTR||$!==EAGAIN;exit 0}exit 0 if $r==0;frames()}
  elsif(exists $byfh{$fn}){for(1..64){last unless defined recv($s,$buf,65536,0);my $id=$byfh{$fn};last unless defined $id;$flows{$id}[1]=time;emit(2,$id,$buf)}}
  elsif(exists $lsock{$fn}){for(1..64){my $peer=recv($s,$buf,65536,0);last unless defined $peer;my $k="$fn $peer";my $id=$bypeer{$k};
   unless(defined $id){room();$id=$next++;$flows{$id}=[$s,time,$peer,$fn];$bypeer{$k}=$id;emit(3,$id,addrtext($peer))}
   $flows{$id}[1]=time;emit(2,$id,$buf)}}
 }
 my $now=time;
 if($now-$lastsweep>=1){$lastsweep=$now;
  if($idle>0){for my $id (keys %flows){drop_flow($id,0) if $now-$flows{$id}[1]>=$idle}}
  if($drops!=$sentdrops){$sentdrops=$drops;emit(6,0,"drops=$drops")}}
 flush() if length $out;
}
`;

export const PYTHON_RELAY = String.raw`import os,sys,socket,selectors,time,struct,errno
a=sys.argv;mode=a[1];host=a[2];port=int(a[3]);idle=float(a[4]);mx=int(a[5]);outmax=int(a[6])
sel=selectors.DefaultSelector()
os.set_blocking(1,False)
out=bytearray();inb=bytearray();st={"drops":0,"sent":0,"w":False};flows={};bypeer={};nxt=[1]
def flush():
  while out:
    try:n=os.write(1,out)
    except BlockingIOError:return
    except InterruptedError:continue
    except OSError:os._exit(0)
    del out[:n]
def emit(t,i,p=b""):
  if t==2 and len(out)>outmax:
    st["drops"]+=1;return
  out.extend(struct.pack(">IBI",5+len(p),t,i));out.extend(p)
def fatal(w,m):
  emit(5,0,(w+" "+m).replace("\n"," ").encode());os.set_blocking(1,True);flush();sys.exit(3)
def at(x):
  return "[%s]:%d"%(x[0],x[1]) if ":" in x[0] else "%s:%d"%(x[0],x[1])
def drop(i,why):
  f=flows.pop(i,None)
  if f is None:return
  if mode=="L":
    sel.unregister(f[0]);f[0].close()
  else:bypeer.pop((f[3],f[2]),None)
  if why is not None:emit(4,i,bytes([why]))
def evict():
  if flows:drop(min(flows,key=lambda k:flows[k][1]),1)
def room():
  if len(flows)>=mx:evict()
bound=[];tgt=None
if mode=="L":
  try:tgt=sorted(socket.getaddrinfo(host,port,0,socket.SOCK_DGRAM),key=lambda x:x[0]!=socket.AF_INET)[0]
  except OSError as e:fatal("RESOLVE","%s: %s"%(host,e))
else:
  hosts=["127.0.0.1","::1"] if host=="localhost" else (["::","0.0.0.0"] if host in ("*","") else [host])
  p=port;ls=0
  for h in hosts:
    must=ls==0 and (h!="::" or h==hosts[-1])
    try:
      ai=socket.getaddrinfo(h,p,0,socket.SOCK_DGRAM,0,socket.AI_PASSIVE)[0]
      s=socket.socket(ai[0],socket.SOCK_DGRAM)
      if h=="::":s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_V6ONLY,0)
      s.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,1048576)
      s.bind(ai[4])
    except OSError as e:
      if must:fatal("BIND","%s: %s"%(at((h,p)),e.strerror or e))
      continue
    s.setblocking(False);sel.register(s,selectors.EVENT_READ,("l",s));ls+=1
    bound.append(at(s.getsockname()))
    if p==0:p=s.getsockname()[1]
    if h=="::":break
def open_l(i):
  room()
  for t in (0,1):
    s=None
    try:
      s=socket.socket(tgt[0],socket.SOCK_DGRAM);s.setsockopt(socket.SOL_SOCKET,socket.SO_RCVBUF,262144);s.connect(tgt[4]);s.setblocking(False)
      break
    except OSError as e:
      if s:s.close()
      if t==0 and e.errno in (errno.EMFILE,errno.ENFILE) and flows:
        emit(5,i,("SOCKET %s (evicting the least recently used flow)"%e).encode());evict();continue
      emit(5,i,("SOCKET %s"%e).encode());emit(4,i,bytes([2]));return None
  f=[s,time.monotonic(),None,None];flows[i]=f;sel.register(s,selectors.EVENT_READ,("f",i));return f
def frames():
  off=0;n=len(inb)
  while n-off>=4:
    ln=struct.unpack_from(">I",inb,off)[0]
    if ln<5 or ln>65540:
      sys.stderr.write("tvudp: bad frame from the client\n");sys.exit(4)
    if n-off<4+ln:break
    t,i=struct.unpack_from(">BI",inb,off+4);p=bytes(inb[off+9:off+4+ln]);off+=4+ln
    if t==2:
      f=flows.get(i)
      if f is None and mode=="L":f=open_l(i)
      if f is None:
        st["drops"]+=1;continue
      f[1]=time.monotonic()
      try:
        if mode=="L":f[0].send(p)
        else:f[0].sendto(p,f[2])
      except OSError:st["drops"]+=1
    elif t==4:drop(i,None)
  del inb[:off]
emit(1,0,("tvudp/1 interp=python3"+"".join(" bound="+b for b in bound)+(" target="+at(tgt[4]) if tgt else "")).encode());flush()
sel.register(0,selectors.EVENT_READ,("in",None))
last=time.monotonic()
while True:
  if out and not st["w"]:
    sel.register(1,selectors.EVENT_WRITE,("out",None));st["w"]=True
  elif not out and st["w"]:
    sel.unregister(1);st["w"]=False
  for key,ev in sel.select(1.0):
    kind,v=key.data
    if kind=="in":
      try:d=os.read(0,262144)
      except (BlockingIOError,InterruptedError):continue
      if not d:sys.exit(0)
      inb.extend(d);frames()
    elif kind=="out":flush()
    elif kind=="f":
      for _ in range(64):
        f=flows.get(v)
        if f is None:break
        try:d=f[0].recv(65536)
        except OSError:break
        f[1]=time.monotonic();emit(2,v,d)
    else:
      for _ in range(64):
        try:d,pa=v.recvfrom(65536)
        except OSError:break
        k=(v.fileno(),pa);i=bypeer.get(k)
        if i is None:
          room();i=nxt[0];nxt[0]+=1;flows[i]=[v,0,pa,v.fileno()];bypeer[k]=i;emit(3,i,at(pa).encode())
        flows[i][1]=time.monotonic();emit(2,i,d)
  now=time.monotonic()
  if now-last>=1:
    last=now
    if idle>0:
      for i in [i for i,f in flows.items() if now-f[1]>=idle]:drop(i,0)
    if st["drops"]!=st["sent"]:
      st["sent"]=st["drops"];emit(6,0,b"drops=%d"%st["drops"])
  flush()
`;
