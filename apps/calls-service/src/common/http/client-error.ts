import { STATUS_CODES } from 'node:http';
import { Socket } from 'node:net';
import { ErrorBody } from '../errors/all-exceptions.filter';

function answerFor(code: string | undefined): { statusCode: number; message: string } {
  if (code === 'HPE_HEADER_OVERFLOW') return { statusCode: 431, message: 'Request headers are too large' };
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return { statusCode: 408, message: 'The request took too long to arrive' };
  return { statusCode: 400, message: 'Malformed HTTP request' };
}

/**
 * Requests Node's HTTP parser refuses (headers too large, broken framing, a request that never finishes
 * arriving) never reach Fastify's routes or Nest's exception filter: Fastify answers them on the bare
 * socket. This answers them there too, in the one error shape, and closes the connection, as there is
 * no telling where the next request would start.
 */
export function answerClientErrorInErrorShape(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const { statusCode, message } = answerFor(error.code);
  const body: ErrorBody = { success: false, statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
  const text = JSON.stringify(body);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${statusCode} ${body.error}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
  }
  socket.destroy(error);
}
