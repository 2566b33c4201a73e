package com.example.imagepipeline;

// README:start
import io.github.cdkimageresizepipeline.ImageFit;
import io.github.cdkimageresizepipeline.ImageResizePipeline;
import io.github.cdkimageresizepipeline.ImageSize;
import io.github.cdkimageresizepipeline.OutputFormat;
import java.util.List;
import software.amazon.awscdk.App;
import software.amazon.awscdk.Stack;

public final class ImagePipelineApp {
    public static void main(final String[] args) {
        App app = new App();
        Stack stack = new Stack(app, "ImagePipeline");

        ImageResizePipeline.Builder.create(stack, "Images")
                .sizes(List.of(
                        ImageSize.builder().name("preview").width(480).build(),
                        ImageSize.builder().name("square").width(300).height(300).fit(ImageFit.COVER).build()))
                .outputFormat(OutputFormat.WEBP)
                .build();

        app.synth();
    }
}
// README:end
