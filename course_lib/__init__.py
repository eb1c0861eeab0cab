"""course_lib: convolutional and residual networks from scratch, for the CNN course.

One module per concept, named as the chapters name it:

- ``conv``: convolution in 1D and 2D (naive, im2col, FFT), transposed convolution
- ``pooling``: max/average pooling, unpooling, up-sampling
- ``norm``: batch normalisation
- ``receptive_field``: receptive-field arithmetic and the field measured by gradients
- ``gabor``: Gabor filters, simple and complex cells
- ``models``: the networks of the course (SimpleCNN, LeNet-5 ... GoogLeNet, ResNets, Highway)
- ``complexity``: parameters and multiply-adds per layer
- ``gradients``: gradient norm per layer
- ``data``: offline data sets, synthetic images
- ``augment``: data augmentation with independent randomness per image
- ``training``: seeding, ``fit`` and ``evaluate``
- ``plots``, ``widgets``: figures and interactive demos for the chapters
- ``grading``: helpers for the nbgrader exercises
"""

__version__ = "0.1.0"
