from django import forms

from .validation import check_image


class UploadForm(forms.Form):
    title = forms.CharField(max_length=100, required=False)
    # A plain file field: check_image gives each failure its own message, where Django's
    # ImageField says "not an image or a corrupted image" for all of them.
    original = forms.FileField(
        label="Image", widget=forms.ClearableFileInput(attrs={"accept": "image/*"})
    )

    def clean_original(self):
        upload = self.cleaned_data["original"]
        check_image(upload)
        return upload
