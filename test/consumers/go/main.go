package main

// README:start
import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdk-image-resize-pipeline/cdk-image-resize-pipeline-go/cdkimageresizepipeline"
)

func main() {
	defer jsii.Close()

	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("ImagePipeline"), nil)

	cdkimageresizepipeline.NewImageResizePipeline(stack, jsii.String("Images"), &cdkimageresizepipeline.ImageResizePipelineProps{
		Sizes: &[]*cdkimageresizepipeline.ImageSize{
			{Name: jsii.String("preview"), Width: jsii.Number(480)},
			{Name: jsii.String("square"), Width: jsii.Number(300), Height: jsii.Number(300), Fit: cdkimageresizepipeline.ImageFit_COVER},
		},
		OutputFormat: cdkimageresizepipeline.OutputFormat_WEBP,
	})

	app.Synth(nil)
}

// README:end
