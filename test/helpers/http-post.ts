/**
 * One POST on `agent` for the tests of connection reuse (moto's keep-alive, the serial proxy's):
 * its body framed by a Content-Length or sent chunked (written before `end()` without one), and
 * what came back, with whether the request went out on a connection the agent already had.
 */
import { request, type Agent, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

export interface PostAnswer {
  status?: number;
  headers: IncomingHttpHeaders;
  /** The request reused one of the agent's open connections. */
  reused: boolean;
  text: string;
}

export function post(agent: Agent, url: string, body: string, framing: 'length' | 'chunked', headers: OutgoingHttpHeaders = {}): Promise<PostAnswer> {
  return new Promise((resolve, reject) => {
    const framed = framing === 'length' ? { ...headers, 'content-length': String(Buffer.byteLength(body)) } : headers;
    const req = request(url, { method: 'POST', agent, headers: framed }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, reused: req.reusedSocket, text }));
    });
    req.on('error', reject);
    req.write(body);
    req.end();
  });
}
