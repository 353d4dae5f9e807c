// A TCP proxy on 127.0.0.1 that can turn into a network black hole: frozen connections stop carrying
// bytes and closes in either direction (what was sent waits, as TCP retransmits it), and while the whole
// proxy is silent new connections are accepted but get no answer. `restore` lets everything through again.
import { connect, createServer, type Server, type Socket } from 'node:net';

interface Pipe {
  client: Socket;
  upstream: Socket;
  frozen: boolean;
}

export class TcpProxy {
  private readonly server: Server;
  private readonly pipes = new Set<Pipe>();
  private readonly target: { host: string; port: number };
  private silent = false;
  port = 0;

  constructor(target: { host: string; port: number }) {
    this.target = target;
    this.server = createServer((client) => this.accept(client));
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Every open connection and every new one stops answering. */
  silence(): void {
    this.silent = true;
    for (const pipe of this.pipes) this.freeze(pipe);
  }

  /** The connections open now stop answering; new ones work. */
  freezeOpen(): void {
    for (const pipe of this.pipes) this.freeze(pipe);
  }

  /** Everything flows again, what waited included. */
  restore(): void {
    this.silent = false;
    for (const pipe of this.pipes) {
      pipe.frozen = false;
      if (pipe.client.destroyed || pipe.upstream.destroyed) this.close(pipe);
      else {
        pipe.client.resume();
        pipe.upstream.resume();
      }
    }
  }

  async stop(): Promise<void> {
    for (const pipe of this.pipes) this.close(pipe);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    const upstream = connect(this.target.port, this.target.host);
    const pipe: Pipe = { client, upstream, frozen: false };
    this.pipes.add(pipe);
    if (this.silent) this.freeze(pipe);
    const forward = (from: Socket, to: Socket) => {
      from.on('data', (chunk) => to.write(chunk));
      // A close is passed on unless frozen: behind a black hole nobody hears it (until `restore`).
      from.on('close', () => {
        if (!pipe.frozen) this.close(pipe);
      });
      from.on('error', () => {});
    };
    forward(client, upstream);
    forward(upstream, client);
  }

  private close(pipe: Pipe): void {
    pipe.client.destroy();
    pipe.upstream.destroy();
    this.pipes.delete(pipe);
  }

  private freeze(pipe: Pipe): void {
    pipe.frozen = true;
    pipe.client.pause();
    pipe.upstream.pause();
  }
}
