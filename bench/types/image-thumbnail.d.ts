declare module 'image-thumbnail' {
  interface Options {
    width?: number;
    height?: number;
    percentage?: number;
    responseType?: 'buffer' | 'base64';
  }
  function imageThumbnail(source: string | Buffer, options?: Options): Promise<Buffer>;
  export = imageThumbnail;
}
