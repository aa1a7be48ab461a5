import net from 'node:net';

/**
 * A TCP relay between the CLI and the service, as a network would be: it counts the bytes each
 * way (what a resumed transfer really sent), can slow the client's bytes down (so that a test
 * can stop an upload half-way), and can go away (a server that is down, as a client sees it).
 */
export class Relay {
  /** Bytes from clients to the service, and from the service back. */
  up = 0;
  down = 0;
  /** Each connection's bytes to the service, at most this many a second; null: no limit. */
  bytesPerSecond: number | null = null;
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: net.Server,
    readonly url: string,
  ) {}

  static async start(target: string): Promise<Relay> {
    const { hostname, port } = new URL(target);
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const relay = new Relay(server, `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    server.on('connection', (client) => relay.connect(client, net.connect(Number(port), hostname)));
    return relay;
  }

  private connect(client: net.Socket, service: net.Socket): void {
    for (const socket of [client, service]) {
      this.sockets.add(socket);
      socket.on('close', () => {
        this.sockets.delete(socket);
        client.destroy();
        service.destroy();
      });
      socket.on('error', () => undefined);
    }
    client.on('data', (chunk: Buffer) => {
      this.up += chunk.length;
      const drained = service.write(chunk);
      const pause = this.bytesPerSecond === null ? 0 : (chunk.length * 1000) / this.bytesPerSecond;
      if (drained && pause === 0) return;
      client.pause();
      const wait = drained ? Promise.resolve() : new Promise((resolve) => service.once('drain', resolve));
      void wait.then(() => setTimeout(() => client.resume(), pause));
    });
    service.on('data', (chunk: Buffer) => {
      this.down += chunk.length;
      if (!client.write(chunk)) {
        service.pause();
        client.once('drain', () => service.resume());
      }
    });
  }

  /** Stops listening and cuts every connection: from now on, connection refused. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
