class FileOutput:
    def __init__(self, file) -> None:
        self.file = file

    def write(self, data: bytes) -> None:
        self.file.write(data)
        self.file.flush()
