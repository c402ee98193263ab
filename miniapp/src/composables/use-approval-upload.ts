import { uploadApprovalFile } from '@/api/approvals'
import type { FileRef } from '@/components/approvals/form/form-model'
import type { UploadFile } from '@/components/approvals/form/upload-rules'

/** The upload an approval form's file fields use: the bot's approval file store, with progress. */
export function useApprovalUpload(): UploadFile {
  return async (file, onProgress): Promise<FileRef> => {
    const stored = await uploadApprovalFile(file, { onProgress })
    return { key: stored.key, name: stored.name, size: stored.size }
  }
}
