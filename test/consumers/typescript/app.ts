// README:start
import { App, Stack } from 'aws-cdk-lib';
import { ImageFit, ImageResizePipeline, OutputFormat } from 'cdk-image-resize-pipeline';

const app = new App();
const stack = new Stack(app, 'ImagePipeline');

new ImageResizePipeline(stack, 'Images', {
  sizes: [
    { name: 'preview', width: 480 },
    { name: 'square', width: 300, height: 300, fit: ImageFit.COVER },
  ],
  outputFormat: OutputFormat.WEBP,
});

app.synth();
// README:end
