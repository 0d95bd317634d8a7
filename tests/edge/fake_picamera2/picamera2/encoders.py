class H264Encoder:
    def __init__(self, bitrate=None, repeat=False, iperiod=None) -> None:
        self.repeat, self.iperiod = repeat, iperiod
