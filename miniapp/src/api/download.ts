import { getApiClient } from './index'

/**
 * Fetches a file from the bot with the session and hands it to the browser as a download named `filename`
 * (an `<a download>` cannot send the bearer token itself). Throws with the status on a refusal.
 */
export async function downloadFile(path: string, filename: string): Promise<void> {
  const client = getApiClient()
  const res = await client.fetch(new Request(client.url(path)), { auth: true })
  if (!res.ok) throw new Error(`download failed (${res.status})`)
  const url = URL.createObjectURL(await res.blob())
  const a = document.createElement('a')
  a.href = url
  a.download = filename
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
