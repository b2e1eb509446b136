// The live stream, WS /ws/metrics, authenticated by the session cookie.
// It reconnects with backoff and reports its state.

// connect opens the stream and calls onMessage for every message and
// onState with 'connecting', 'live' or 'down' (with the seconds until the
// next attempt). A close with 1008 (the session was revoked or expired)
// calls onEnd instead of reconnecting. Returns a function that stops it.
export function connect({ protocol, onMessage, onState, onEnd }) {
  let ws = null;
  let stopped = false;
  let attempt = 0;
  let timer = null;
  const url = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws/metrics`;

  const open = () => {
    if (stopped) return;
    onState('connecting');
    ws = protocol ? new WebSocket(url, [protocol]) : new WebSocket(url);
    ws.addEventListener('open', () => {
      attempt = 0;
      onState('live');
    });
    ws.addEventListener('message', (ev) => {
      let m;
      try {
        m = JSON.parse(ev.data);
      } catch {
        return;
      }
      onMessage(m);
    });
    ws.addEventListener('close', (ev) => {
      if (stopped) return;
      if (ev.code === 1008) {
        onEnd();
        return;
      }
      const wait = Math.min(30, 2 ** attempt);
      attempt++;
      onState('down', wait);
      timer = setTimeout(open, wait * 1000);
    });
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (ws) ws.close(1000, 'bye');
  };
}
