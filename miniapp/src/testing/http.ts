import { vi } from 'vitest'

/** A JSON `Response` as the bot would send it. */
export function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { 'Content-Type': 'application/json', ...headers },
  })
}

export interface RecordedCall {
  url: string
  method: string
  headers: Headers
  body: string
}

/** A `fetch` double answering from a queue of handlers and recording what was sent. */
export function fakeFetch(...answers: Array<(call: RecordedCall) => Response | Promise<Response>>) {
  const calls: RecordedCall[] = []
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request ? input : new Request(input, init)
    const call: RecordedCall = {
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: await request.text(),
    }
    calls.push(call)
    const answer = answers[Math.min(calls.length - 1, answers.length - 1)]
    if (!answer) throw new Error('fakeFetch: no answer configured')
    return answer(call)
  })
  return { fetch, calls }
}
