import type { FeishuJsapiSignature } from '@/platform/feishu'
import { apiFetch } from './index'

/**
 * Signs `h5sdk.config` for `url` (the page URL without `#…`). The bot holds the jsapi_ticket; the
 * signature is SHA-1 over `jsapi_ticket=…&noncestr=…&timestamp=…&url=…` (timestamp in ms).
 */
export function signFeishuJsapi(url: string): Promise<FeishuJsapiSignature> {
  return apiFetch<FeishuJsapiSignature>('/api/v1/platforms/feishu/jsapi-signature', {
    method: 'POST',
    json: { url },
  })
}
