# README:start
import aws_cdk as cdk
from cdk_image_resize_pipeline import ImageFit, ImageResizePipeline, ImageSize, OutputFormat

app = cdk.App()
stack = cdk.Stack(app, "ImagePipeline")

ImageResizePipeline(
    stack,
    "Images",
    sizes=[
        ImageSize(name="preview", width=480),
        ImageSize(name="square", width=300, height=300, fit=ImageFit.COVER),
    ],
    output_format=OutputFormat.WEBP,
)

app.synth()
# README:end
