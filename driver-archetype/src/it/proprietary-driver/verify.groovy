// SPDX-License-Identifier: GPL-2.0-only
// The build failed (invoker.properties) and said why, in the kernel's words.
def log = new File(basedir, 'build.log').text
assert log.contains("GPL-incompatible module blob_gpu uses GPL-only symbol 'dma_buf_export'")
assert log.contains("BlobDriver.export calls DmaBufService.export")
return true
